variables {
  environment = "test"
  nodes = {
    n-a1 = { address = "n-a1.test.example", zone = "zone-a", groups = ["data", "app"] }
    n-b1 = { address = "n-b1.test.example", zone = "zone-b", groups = ["data"] }
    n-c1 = { address = "n-c1.test.example", zone = "zone-c", groups = ["data", "mirror"] }
  }
}

run "renders_hosts_and_groups" {
  command = plan

  assert {
    condition     = output.inventory.all.hosts["n-b1"].mach_zone == "zone-b"
    error_message = "host zone not carried into the inventory"
  }
  assert {
    condition     = keys(output.inventory.all.children["data"].hosts) == ["n-a1", "n-b1", "n-c1"]
    error_message = "data group members wrong"
  }
  assert {
    condition     = keys(output.inventory.all.children["mirror"].hosts) == ["n-c1"]
    error_message = "mirror group members wrong"
  }
}

run "rejects_unknown_group" {
  command = plan
  variables {
    nodes = { x = { address = "x", zone = "zone-a", groups = ["databse"] } }
  }
  expect_failures = [var.nodes]
}
