import { describe, expect, it } from "vitest";
import { parseInventory } from "./inventory.js";

describe("parseInventory", () => {
  it("reads an Ansible YAML inventory (children, host vars), each host once", () => {
    const yaml = ["all:", "  children:", "    web:", "      hosts:", "        web1: { ansible_host: 192.0.2.1, ansible_port: 2222, ansible_user: scan }", "        web2:", "    mail:", "      hosts:", "        mx1: { ansible_host: 192.0.2.9 }", "        web1:", ""].join("\n");
    expect(parseInventory(yaml)).toEqual([
      { name: "web1", address: "192.0.2.1", port: 2222, user: "scan" },
      { name: "web2", address: "web2", port: undefined, user: undefined },
      { name: "mx1", address: "192.0.2.9", port: undefined, user: undefined },
    ]);
  });

  it("reads an Ansible INI inventory and a plain list", () => {
    const ini = ["[web]", "web1 ansible_host=192.0.2.1 ansible_port=2222", "[mail]", "mx1.example.net ; comment", "[all:vars]", "ansible_user=root"].join("\n");
    expect(parseInventory(ini)).toEqual([
      { name: "web1", address: "192.0.2.1", port: 2222, user: undefined },
      { name: "mx1.example.net", address: "mx1.example.net", port: undefined, user: undefined },
    ]);
    expect(parseInventory("# fleet\nscan@192.0.2.5:2200\n[2001:db8::5]:22\n2001:db8::6\nmx2\n")).toEqual([
      { name: "192.0.2.5", address: "192.0.2.5", port: 2200, user: "scan" },
      { name: "2001:db8::5", address: "2001:db8::5", port: 22, user: undefined },
      { name: "2001:db8::6", address: "2001:db8::6", port: undefined, user: undefined },
      { name: "mx2", address: "mx2", port: undefined, user: undefined },
    ]);
  });

  it("names a line it cannot read", () => {
    expect(() => parseInventory("web1:bad:port\n")).toThrow('inventory line "web1:bad:port" is not NAME, ADDRESS[:PORT], USER@ADDRESS[:PORT] or an Ansible INI host line');
  });
});
