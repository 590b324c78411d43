#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the seqlock's barriers in the ARM code of runtime/region.c.

    check-barriers.py ARCH DISASSEMBLY     (ARCH: aarch64 or arm)

DISASSEMBLY is `objdump -dr --no-show-raw-insn` of region.o. Each reading
function must, on every path through its code, load the sequence with acquire
(ldar/ldapr, or a load followed by a dmb), copy the payload, pass an acquire
fence and only then load the sequence again; each writing function must pass a
release fence (dmb ish) before it copies the payload and publish with a release
store (stlr, or a dmb ish after the copy and a str). docs/process-image.md
states the protocol. Prints what it found per function; a failure names the
function and the missing barrier, and the exit status is 1.

Paths, not text order: the compiler lays blocks out as it likes (the writer's
two fences, one per branch of `if (r->fence)`, end up far apart), so the code
is read as a control-flow graph and every path from the entry is followed.
"""
import re
import sys

READERS = ["plc_region_read", "plc_region_read_tags", "plc_region_read_tag"]
WRITERS = ["plc_region_write", "plc_region_write_tags", "plc_region_write_tag"]
# Calls that are the payload copy: memcpy, or the relaxed-atomic copies
# (PLC_RELAXED_COPY), or copy_ranges when the compiler keeps it out of line.
COPIES = {"memcpy", "memmove", "__memcpy_chk", "copy_ranges", "plc_payload_load",
          "plc_payload_store"}
SEQ_OFFSET = 256  # offsetof(struct plc_shm_header, seq), runtime/shm-format.h

# dmb options: a full barrier orders loads and stores (a release fence needs
# it; C11's release and seq_cst fences compile to dmb ish); an ld barrier
# orders loads before later loads and stores (aarch64's acquire fence).
FULL_FENCES = {"ish", "sy", "osh", "nsh"}
LOAD_FENCES = {"aarch64": {"ishld", "ld", "oshld", "nshld"}, "arm": set()}
NAMES = {  # what docs/process-image.md says each barrier compiles to
    "aarch64": {"acquire load": "ldar, or ldr + dmb ishld", "acquire fence": "dmb ishld",
                "release fence": "dmb ish", "release store": "stlr, or dmb ish + str"},
    "arm": {"acquire load": "ldr + dmb ish", "acquire fence": "dmb ish",
            "release fence": "dmb ish", "release store": "dmb ish + str"},
}
CALLEE_SAVED = {"aarch64": {f"r{n}" for n in range(19, 30)} | {"sp"},
                "arm": {f"r{n}" for n in range(4, 12)} | {"sp"}}

ARM_CONDS = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al"
ARM_ALIASES = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12", "lr": "r14", "pc": "r15"}


class Insn:
    def __init__(self, addr, mnem, ops):
        self.addr, self.mnem, self.ops, self.reloc = addr, mnem, ops, None

    def __str__(self):
        return f"{self.mnem} {self.ops}".strip() + f" at 0x{self.addr:x}"


def parse(text):
    """{function: [Insn]} from objdump -dr output."""
    funcs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
            continue
        if cur is None:
            continue
        m = re.match(r"^\s*([0-9a-f]+): (R_\w+)\s+(\S+)", line)
        if m and cur:
            cur[-1].reloc = m.group(3).split("+")[0]
            continue
        m = re.match(r"^\s*([0-9a-f]+):\t(\S+)(?:\t(.*))?$", line)
        if m:
            ops = re.split(r"\s(?://|@)\s", m.group(3) or "")[0].strip()
            cur.append(Insn(int(m.group(1), 16), m.group(2), ops))
    return funcs


def reg(arch, name):
    """A register's canonical name (x3 and w3 are r3; fp is r11 on arm), or None."""
    name = name.strip().lower()
    if arch == "aarch64":
        m = re.fullmatch(r"[xw](\d+)", name)
        return f"r{m.group(1)}" if m else ("sp" if name in ("sp", "wsp") else None)
    name = ARM_ALIASES.get(name, name)
    return name if re.fullmatch(r"r\d+|sp", name) else None


def base_mnem(arch, mnem):
    """The mnemonic without .n/.w and, on arm, without a condition suffix
    (ldrge -> ldr, strpl.w -> str, bne.n -> b)."""
    m = mnem.split(".")[0] if arch == "arm" else mnem
    if arch == "arm":
        for c in ARM_CONDS.split("|"):
            if m.endswith(c) and len(m) > len(c) and m[:-len(c)] in (
                    "b", "ldr", "str", "mov", "add", "sub", "ldrb", "strb", "and", "orr",
                    "ldm", "pop", "bx", "movw", "movt", "mvn", "adds", "subs", "cmp"):
                return m[:-len(c)]
    return m


def callee(insn):
    """The function a call names, as the symbol table spells it."""
    m = re.search(r"<([^>+]+)", insn.ops)
    return insn.reloc or (m.group(1) if m else "?")


def target(insn, func):
    """The address an intra-function branch goes to, else None."""
    m = re.search(r"([0-9a-f]+) <([^>+]+)", insn.ops)
    if not m or insn.reloc or m.group(2) != func:
        return None
    return int(m.group(1), 16)


class Code:
    """One function as a graph of instructions, with what each one does."""

    def __init__(self, arch, name, insns):
        self.arch, self.name, self.insns = arch, name, insns
        self.index = {i.addr: n for n, i in enumerate(insns)}
        self.succ = [self.successors(n) for n in range(len(insns))]
        self.seq_regs = self.track_seq_regs()

    def kind(self, n):
        """'call', 'tail', 'exit', 'jump', 'cond' or None (falls through)."""
        i, arch = self.insns[n], self.arch
        m = base_mnem(arch, i.mnem)
        if i.mnem.startswith(".") or i.mnem == "...":
            return "exit"
        if arch == "aarch64":
            if m in ("ret", "br", "eret"):
                return "exit"
            if m in ("bl", "blr"):
                return "call"
            if m == "b":
                return "tail" if target(i, self.name) is None else "jump"
            if m.startswith("b.") or m in ("cbz", "cbnz", "tbz", "tbnz"):
                return "cond"
            return None
        if m in ("bl", "blx"):
            return "call"
        if m == "bx" or (m in ("pop", "ldm", "ldmia") and "pc" in i.ops) or \
                re.match(r"(pc|r15)\b", i.ops) or m in ("tbb", "tbh"):
            return "exit"
        if m == "b":
            if target(i, self.name) is None:
                return "tail"
            cond = i.mnem.split(".")[0] != "b"
            return "cond" if cond else "jump"
        if m in ("cbz", "cbnz"):
            return "cond"
        return None

    def successors(self, n):
        k = self.kind(n)
        nxt = [n + 1] if n + 1 < len(self.insns) else []
        if k in ("exit", "tail"):
            return []
        if k in ("jump", "cond"):
            t = self.index.get(target(self.insns[n], self.name))
            return ([t] if t is not None else []) + (nxt if k == "cond" else [])
        return nxt

    def writes(self, n):
        """Registers instruction n may change (None: all but the callee-saved)."""
        i, arch = self.insns[n], self.arch
        m = base_mnem(arch, i.mnem)
        k = self.kind(n)
        if k in ("call", "tail"):
            return None
        ops = [o.strip() for o in re.split(r",(?![^\[{]*[\]}])", i.ops)]
        out = set()
        mem = re.search(r"\[([^\],]+)[^\]]*\](!|, )", i.ops)
        if mem:  # pre- or post-indexed: the base register changes
            out.add(reg(arch, mem.group(1)))
        if "{" in i.ops and (m.startswith("ldm") or m == "pop"):
            out |= {reg(arch, r) for r in re.findall(r"[a-z]+\d*", i.ops.split("{")[1])}
        elif re.match(r"(st[lx]?r|stur|stp|stlxr|stxp|stm|push|cmp|cmn|tst|teq|ccm|fcm|dmb|dsb|"
                      r"isb|nop|it|prfm|pld|hint|bti|pac|aut|vst|vpush)", m) or k in ("jump",
                                                                                   "cond", "exit"):
            if re.match(r"st[l]?xr|strex", m):  # the status register
                out.add(reg(arch, ops[0]))
        elif re.match(r"(ldp|ldrd|ldxp|ldaxp|ldrexd)", m):
            out |= {reg(arch, ops[0]), reg(arch, ops[1])}
        elif ops and ops[0]:
            out.add(reg(arch, ops[0]))
        out.discard(None)
        return out

    def stack_access(self, n):
        """('load' or 'store', offset, width, [register...]) for an access to
        the stack frame at [sp, #offset] without writeback, else None."""
        i, m = self.insns[n], base_mnem(self.arch, self.insns[n].mnem)
        mem = re.search(r"\[sp(?:,\s*#(0x[0-9a-f]+|\d+))?\](.*)", i.ops)
        if not mem or mem.group(2).strip() or not re.match(r"(ld|st)", m):
            return None
        regs = [o.strip() for o in i.ops.split("[")[0].split(",") if o.strip()]
        if re.match(r"(st[l]?xr|strex)", m):
            regs = regs[1:]  # the status register
        word = re.fullmatch(r"(ldr|str|ldur|stur|ldp|stp|ldrd|strd)", m) and all(
            reg(self.arch, r) and (self.arch == "arm" or r.startswith("x")) for r in regs)
        width = 8 if self.arch == "aarch64" else 4
        return ("load" if m.startswith("ld") else "store", int(mem.group(1) or "0", 0),
                width if word else 1, regs if word else [])

    def track_seq_regs(self):
        """What certainly holds &h->seq before each instruction, on every path:
        registers set by `add Rd, Rn, #256`, their copies, and stack slots
        ("sp+N") they were spilled to and reloaded from."""
        arch, n_insns = self.arch, len(self.insns)
        preds = [[] for _ in range(n_insns)]
        for n, ss in enumerate(self.succ):
            for s in ss:
                preds[s].append(n)
        into = [None] * n_insns  # None: not reached yet (all registers)
        out = [None] * n_insns
        work = list(range(n_insns))
        while work:
            n = work.pop()
            ins = [out[p] for p in preds[n] if out[p] is not None]
            cur = frozenset() if n == 0 else (frozenset.intersection(*ins) if ins else None)
            if cur is None:
                continue
            into[n] = cur
            i, m = self.insns[n], base_mnem(arch, self.insns[n].mnem)
            ops = [o.strip() for o in i.ops.split(",")]
            w = self.writes(n)
            slots = {x for x in cur if x.startswith("sp+")}
            new = set(cur) - w if w is not None else (cur & CALLEE_SAVED[arch]) | slots
            if w and "sp" in w or "sp!" in i.ops or m in ("push", "pop"):
                new -= slots  # the frame moved
            if m in ("add", "addw") and len(ops) == 3 and \
                    re.fullmatch(r"#(0x[0-9a-f]+|\d+)", ops[2]) and \
                    int(ops[2][1:], 0) == SEQ_OFFSET and reg(arch, ops[0]):
                new.add(reg(arch, ops[0]))
            if m == "mov" and len(ops) == 2 and reg(arch, ops[1]) in cur and reg(arch, ops[0]):
                new.add(reg(arch, ops[0]))
            st = self.stack_access(n)
            if st and st[0] == "store":
                _, off, width, regs = st
                end = off + width * max(len(regs), 1)
                ptr = 8 if arch == "aarch64" else 4  # a slot holds a pointer
                new -= {x for x in slots if off - ptr < int(x[3:]) < end}
                new |= {f"sp+{off + k * width}" for k, r in enumerate(regs)
                        if reg(arch, r) in cur}
            elif st:
                _, off, width, regs = st
                new |= {reg(arch, r) for k, r in enumerate(regs)
                        if f"sp+{off + k * width}" in cur}
            new = frozenset(new)
            if out[n] != new:
                out[n] = new
                work.extend(self.succ[n])
        return into

    def seq_access(self, n):
        """'load', 'acquire', 'store', 'release' for a 32-bit access to the sequence."""
        i, arch = self.insns[n], self.arch
        m = base_mnem(arch, i.mnem)
        mem = re.search(r"\[([^\],]+)(?:,\s*#(-?(?:0x[0-9a-f]+|\d+)))?\]", i.ops)
        if not mem or self.into_none(n):
            return None
        base, off = reg(arch, mem.group(1)), int(mem.group(2) or "0", 0)
        if not ((base in self.seq_regs[n] and off == 0) or off == SEQ_OFFSET):
            return None
        if arch == "aarch64" and not i.ops.startswith("w"):
            return None
        return {"ldr": "load", "ldur": "load", "ldar": "acquire", "ldapr": "acquire",
                "ldapur": "acquire", "str": "store", "stur": "store",
                "stlr": "release"}.get(m)

    def into_none(self, n):
        return self.seq_regs[n] is None

    def event(self, n):
        """What instruction n means to the protocol, or None."""
        i, arch = self.insns[n], self.arch
        m = base_mnem(arch, i.mnem)
        if self.kind(n) in ("call", "tail") and callee(i).split(".")[0] in COPIES:
            return "copy"
        if m == "dmb":
            opt = i.ops.strip().lower()
            if opt in FULL_FENCES:
                return "fence"
            return "fence_ld" if opt in LOAD_FENCES[arch] else None
        return self.seq_access(n)


# The protocol as automata over one path: step(state, event, arch) is the
# next state, or (None, what is wrong). Events: "copy", "fence" (dmb ish),
# "fence_ld" (dmb ishld), a 32-bit "load"/"acquire"/"store"/"release" of the
# sequence, and "exit" (the function returns).
def reader_step(state, ev, arch):
    names = NAMES[arch]
    fence = ev in ("fence", "fence_ld")
    if state == "start":  # nothing yet
        if ev == "acquire":
            return "loaded"
        if ev == "load":
            return "loaded_plain"
        if ev == "copy":
            return None, "the payload is copied before the sequence is loaded"
        return state
    if state == "loaded_plain":  # ldr of the sequence: an acquire load once a dmb follows
        if fence or ev == "acquire":
            return "loaded"
        if ev == "copy":
            return None, ("no acquire load of the sequence before the payload copy "
                          f"(wants {names['acquire load']})")
        return state
    if state == "loaded":  # s1 = seq (acquire)
        if ev == "copy":
            return "copied"
        if ev == "load":
            return "loaded_plain"
        return state
    if state in ("copied", "fenced"):
        if ev == "copy":
            return "copied"
        if fence:
            return "fenced"
        if ev in ("load", "acquire"):
            if state == "copied":
                return None, (f"no acquire fence ({names['acquire fence']}) between the "
                              "payload copy and the re-read of the sequence")
            return "done"
        if ev == "exit":
            return None, "the payload is copied but the sequence is not read again"
    return state


def writer_step(state, ev, arch):
    names = NAMES[arch]
    if state == "start":  # before the release fence; the odd store may come here
        if ev == "fence":
            return "fenced"
        if ev == "copy":
            return None, f"no release fence ({names['release fence']}) before the payload copy"
        return state
    if state in ("fenced", "copied", "copied_fenced"):
        if ev == "copy":
            return "copied"
        if ev == "fence" and state == "copied":
            return "copied_fenced"
        if ev == "release" or (ev == "store" and state != "copied"):
            return "published"
        if ev == "store":
            return None, ("the sequence is published with a plain store after the payload "
                          f"copy (wants {names['release store']})")
        if ev == "exit" and state != "fenced":
            return None, "the payload is copied but the sequence is never published"
    return state


def walk(code, step, final):
    """Follow every path from the entry through the automaton `step`. Returns
    ({what is wrong: where}, the instructions of one path that reached `final`)."""
    fails, seen, shown = {}, set(), None
    stack = [(0, "start", ())]
    while stack:
        n, state, path = stack.pop()
        if (n, state) in seen:
            continue
        seen.add((n, state))
        ev = code.event(n)
        if ev:
            nxt = step(state, ev, code.arch)
            if isinstance(nxt, tuple):
                fails.setdefault(nxt[1], code.insns[n])
                continue
            if nxt != state or ev == "copy":
                path = path + (code.insns[n],)
            state = nxt
        if state == final:
            shown = shown or path
            continue
        if not code.succ[n]:
            nxt = step(state, "exit", code.arch)
            if isinstance(nxt, tuple):
                fails.setdefault(nxt[1], code.insns[n])
            continue
        for s in code.succ[n]:
            stack.append((s, state, path))
    return fails, shown


def resolve(funcs, arch, name):
    """The function that holds the protocol for `name`: itself, or a function
    of this file it calls (write_ranges, when the compiler keeps it apart)."""
    code = Code(arch, name, funcs[name])
    if any(code.seq_access(n) for n in range(len(code.insns))):
        return code
    for n in range(len(code.insns)):
        if code.kind(n) in ("call", "tail") and callee(code.insns[n]) in funcs:
            inner = resolve(funcs, arch, callee(code.insns[n]))
            if inner:
                return inner
    return None


def main():
    arch, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        funcs = parse(f.read())
    failed = 0
    for names, step, final, what in ((READERS, reader_step, "done", "read"),
                                      (WRITERS, writer_step, "published", "write")):
        for name in names:
            label = f"{arch} {name}"
            if name not in funcs:
                print(f"FAIL {label}: not in the object code")
                failed += 1
                continue
            code = resolve(funcs, arch, name)
            if not code:
                print(f"FAIL {label}: no access to the sequence found (offset {SEQ_OFFSET})")
                failed += 1
                continue
            if code.name != name:
                label += f" (in {code.name})"
            fails, shown = walk(code, step, final)
            if not any(code.event(n) == "copy" for n in range(len(code.insns))):
                fails.setdefault("no payload copy found (a call to memcpy or plc_payload_*)",
                                 code.insns[0])
            if not shown and not fails:
                fails["no path through the protocol"] = code.insns[0]
            for msg, at in fails.items():
                print(f"FAIL {label}: {what}: {msg} ({at})")
                failed += 1
            if not fails:
                print(f"ok   {label}: " + " -> ".join(str(i) for i in shown))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
