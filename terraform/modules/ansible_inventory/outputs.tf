output "inventory" {
  description = "The Ansible inventory as an object (hosts.yml structure)."
  value       = local.inventory
}

output "inventory_yaml" {
  description = "The Ansible inventory as YAML: write it to inventories/<env>/hosts.yml."
  value       = yamlencode(local.inventory)
}
