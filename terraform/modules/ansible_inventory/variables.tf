variable "environment" {
  description = "Environment name (mach_env): dev, staging, prod, ..."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes."
  }
}

variable "zones" {
  description = "Zones the platform spreads across (mach_zones)."
  type        = list(string)
  default     = ["zone-a", "zone-b", "zone-c"]
}

variable "nodes" {
  description = "Provisioned nodes by name: address Ansible connects to, zone, node groups (docs ARCHITECTURE §1)."
  type = map(object({
    address = string
    zone    = string
    groups  = list(string)
  }))
  validation {
    condition     = length(var.nodes) > 0
    error_message = "nodes must not be empty."
  }
  validation {
    condition = alltrue([for n in values(var.nodes) : alltrue([for g in n.groups : contains(
      ["mirror", "lb", "data", "security", "observability", "storage", "mesh_cp", "app", "k8s_control", "k8s_worker"], g
    )])])
    error_message = "every group must be one of: mirror, lb, data, security, observability, storage, mesh_cp, app, k8s_control, k8s_worker."
  }
}

variable "ssh_user" {
  description = "User Ansible logs in as (must be one of mach_admin_users)."
  type        = string
  default     = "ops1"
}
