# Hands the provisioned nodes to Ansible: an inventory in the suite's hosts.yml format
# (hosts with mach_zone, node groups as children). Provider-free, so it is tested offline;
# the compute modules (cloud or bare metal) feed `nodes`.

locals {
  unknown_zones = sort(distinct([for name, n in var.nodes : n.zone if !contains(var.zones, n.zone)]))
  groups        = sort(distinct(flatten([for n in values(var.nodes) : n.groups])))

  inventory = {
    all = {
      hosts = {
        for name, n in var.nodes : name => {
          ansible_host = n.address
          ansible_user = var.ssh_user
          mach_zone    = n.zone
        }
      }
      children = {
        for g in local.groups : g => {
          hosts = { for name, n in var.nodes : name => {} if contains(n.groups, g) }
        }
      }
    }
  }
}

check "zones_known" {
  assert {
    condition     = length(local.unknown_zones) == 0
    error_message = "nodes use zones not in var.zones: ${join(", ", local.unknown_zones)}"
  }
}
