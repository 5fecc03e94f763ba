import { describe, expect, it } from "vitest";
import { CAPTURED_PS } from "./captured-sockets.test-support.js";
import { parsePsArgs } from "./parse-ps-args.js";

describe("parsePsArgs", () => {
  it.each([
    { name: "captured", input: CAPTURED_PS, output: [[7204, ["node", "/tmp/cap/srv.cjs"]], [7213, ["/tmp/cap/mailer", "/tmp/cap/run.sh"]]] },
    {
      name: "spaces inside an argument are lost (documented)",
      input: "  812 /usr/sbin/exim4 -bd -q30m\n 9001 nginx: worker process   \n",
      output: [[812, ["/usr/sbin/exim4", "-bd", "-q30m"]], [9001, ["nginx:", "worker", "process"]]],
    },
    { name: "kernel thread shown in brackets is kept verbatim", input: "    2 [kthreadd]\n", output: [[2, ["[kthreadd]"]]] },
    { name: "pid without args", input: "   77\n", output: [[77, []]] },
    { name: "garbage and empty output", input: "PID COMMAND\n\n", output: [] },
  ])("$name", ({ input, output }) => {
    expect([...parsePsArgs(input)]).toEqual(output);
  });
});
