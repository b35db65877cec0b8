# Three all-in-one nodes, one per zone (the dev shape). `terraform output -raw inventory_yaml`
# gives inventories/dev/hosts.yml.
module "inventory" {
  source      = "../../"
  environment = "dev"
  nodes = {
    dev-a1 = { address = "dev-a1.dev.mach.example", zone = "zone-a", groups = ["mirror", "lb", "data", "security", "storage", "app", "k8s_control", "k8s_worker"] }
    dev-b1 = { address = "dev-b1.dev.mach.example", zone = "zone-b", groups = ["lb", "data", "security", "observability", "storage", "app", "k8s_control", "k8s_worker"] }
    dev-c1 = { address = "dev-c1.dev.mach.example", zone = "zone-c", groups = ["data", "security", "observability", "storage", "mesh_cp", "app", "k8s_control", "k8s_worker"] }
  }
}

output "inventory_yaml" {
  value = module.inventory.inventory_yaml
}
