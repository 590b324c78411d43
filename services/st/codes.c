/* SPDX-License-Identifier: MIT */
/*
 * Every diagnostic code, in one place: `plc-st explain Pnnnn` prints from
 * here and docs/st-errors.md is generated from it. Codes are stable: P0xxx
 * lexical, P1xxx syntax, P2xxx names and declarations, P3xxx types, P4xxx
 * layout binding, P5xxx refused features and dialects, P9xxx internal.
 */
#include <stddef.h>

#include "ast.h"

static const struct st_code codes[] = {
    {1, "unterminated comment",
     "A comment opened with (* or /* is not closed before the end of the file.\n"
     "Failing:  x := 1; (* set x\n"
     "Fix:      x := 1; (* set x *)"},
    {2, "unterminated string",
     "A string literal is not closed on its line.\n"
     "Failing:  s := 'abc;\n"
     "Fix:      s := 'abc';"},
    {3, "invalid character",
     "A character that is no part of Structured Text.\n"
     "Failing:  x := y @ 2;\n"
     "Fix:      x := y * 2;"},
    {4, "malformed number",
     "A digit that the base does not have, a base other than 2, 8 or 16, or a\n"
     "misplaced underscore.\n"
     "Failing:  w := 16#FG;   b := 3#12;\n"
     "Fix:      w := 16#FF;   b := 2#101;"},
    {5, "number too large",
     "An integer literal does not fit in 64 bits.\n"
     "Failing:  x := 99999999999999999999;\n"
     "Fix:      use a value within the type's range (ULINT: 0..18446744073709551615)."},
    {6, "malformed duration",
     "A TIME literal needs numbers with units d, h, m, s, ms, us, ns, largest first; only\n"
     "the last may have a fraction; it must fit in 64-bit nanoseconds.\n"
     "Failing:  t := T#5;   t := T#1.5m3s;\n"
     "Fix:      t := T#5s;  t := T#1m33s;"},
    {7, "invalid string escape",
     "In a string, $ starts an escape: $$ $' $L $N $P $R $T or two hex digits.\n"
     "Failing:  s := 'cost: 5$';\n"
     "Fix:      s := 'cost: 5$$';"},
    {8, "malformed located address",
     "A located address is %I, %Q or %M, an optional size X, B, W, D or L and\n"
     "numbers separated by dots.\n"
     "Failing:  b AT %QY0.0 : BOOL;\n"
     "Fix:      b AT %QX0.0 : BOOL;"},
    {9, "malformed XML",
     "A file whose first character is '<' is read as PLCopen XML (the OpenPLC Editor's\n"
     "plc.xml); it is not well-formed XML, or its root element is not <project>. The\n"
     "position is where libxml2 found the fault.\n"
     "Failing:  <project><types><pous></types></project>\n"
     "Fix:      <project><types><pous></pous></types></project>"},
    {10, "malformed date or time of day",
     "A DATE literal is D#yyyy-mm-dd, a TIME_OF_DAY TOD#hh:mm:ss with an optional\n"
     "fraction of a second (to the nanosecond), a DATE_AND_TIME DT#yyyy-mm-dd-hh:mm:ss;\n"
     "the day must exist (2100-02-29 does not), hours run 0..23, minutes and seconds\n"
     "0..59, years 1970..2261 (64-bit nanoseconds end in 2262).\n"
     "Failing:  d := D#2023-02-29;   t := TOD#24:00:00;   x := DT#2024-01-31 12:00:00;\n"
     "Fix:      d := D#2023-02-28;   t := TOD#23:59:59;   x := DT#2024-01-31-12:00:00;"},
    {1001, "syntax error",
     "The parser expected something else here; the message says what.\n"
     "Failing:  IF a THEN b := 1 END_IF;\n"
     "Fix:      IF a THEN b := 1; END_IF;"},
    {1002, "nesting too deep",
     "Expressions or statements are nested deeper than the compiler accepts (200 levels).\n"
     "Failing:  x := ((((((...))))));   (hundreds of levels)\n"
     "Fix:      split the expression with temporary variables."},
    {1003, "unexpected end of file",
     "The file ends inside a declaration or statement.\n"
     "Failing:  PROGRAM p VAR x : INT; END_VAR x := 1;\n"
     "Fix:      PROGRAM p VAR x : INT; END_VAR x := 1; END_PROGRAM"},
    {1004, "keyword used as a name",
     "A keyword cannot name a variable, type or POU.\n"
     "Failing:  VAR end : INT; END_VAR\n"
     "Fix:      VAR end_pos : INT; END_VAR"},
    {2001, "undeclared name",
     "A variable, type or enum value is used but not declared where it is visible.\n"
     "Failing:  PROGRAM p VAR x : INT; END_VAR y := x; END_PROGRAM\n"
     "Fix:      declare y in a VAR block of p."},
    {2002, "duplicate declaration",
     "Two declarations of one name in the same scope (names are case-insensitive).\n"
     "Failing:  VAR x : INT; X : BOOL; END_VAR\n"
     "Fix:      rename one of them."},
    {2003, "standard name taken",
     "A user POU or TYPE may not take the name of a standard function or block (TON,\n"
     "ADD, MAX, ...): every call of it would be ambiguous. Variables may.\n"
     "Failing:  FUNCTION_BLOCK TON ... END_FUNCTION_BLOCK\n"
     "Fix:      FUNCTION_BLOCK MY_TON ... END_FUNCTION_BLOCK"},
    {2004, "unknown type",
     "A declaration names a type that is neither elementary, declared in a TYPE block,\n"
     "nor a function block.\n"
     "Failing:  VAR m : MOTOR; END_VAR   (no MOTOR declared)\n"
     "Fix:      declare TYPE MOTOR : STRUCT ... END_STRUCT; END_TYPE or FUNCTION_BLOCK MOTOR."},
    {2005, "unknown function",
     "A call names no function, function block instance or standard function.\n"
     "Failing:  y := SQR(x);\n"
     "Fix:      y := SQRT(x);  or  y := x * x;"},
    {2006, "unknown parameter",
     "A formal argument names no input or output of the callee.\n"
     "Failing:  t1(IN := a, TIME := T#1s);\n"
     "Fix:      t1(IN := a, PT := T#1s);"},
    {2007, "wrong arguments",
     "A call has too many or too few arguments, an input given twice, or mixes\n"
     "positional arguments with formal ones (a block call takes one kind only).\n"
     "Failing:  y := LIMIT(0, x);\n"
     "Fix:      y := LIMIT(0, x, 100);"},
    {2008, "which program",
     "Build needs one PROGRAM to run: a CONFIGURATION names it, or --program when the\n"
     "files declare several; none at all is an error too.\n"
     "Failing:  plc-st build a.st -o a.so   (a.st has PROGRAM p1 and PROGRAM p2)\n"
     "Fix:      plc-st build a.st --program p1 -o a.so"},
    {2009, "not writable",
     "The assignment's target is a CONSTANT, a function's input, a FOR loop variable\n"
     "inside its loop, or a block's output.\n"
     "Failing:  VAR CONSTANT k : INT := 3; END_VAR k := 4;\n"
     "Fix:      declare k in a plain VAR block."},
    {2010, "unknown member",
     "The structure or block has no member of that name.\n"
     "Failing:  x := t1.Done;   (t1 : TON)\n"
     "Fix:      x := t1.Q;"},
    {2011, "duplicate CASE label",
     "Two branches of one CASE take the same value.\n"
     "Failing:  CASE s OF 1: a := 1; 1..3: a := 2; END_CASE;\n"
     "Fix:      CASE s OF 1: a := 1; 2..3: a := 2; END_CASE;"},
    {2012, "EXIT or CONTINUE outside a loop",
     "EXIT and CONTINUE act on the innermost FOR, WHILE or REPEAT.\n"
     "Failing:  IF a THEN EXIT; END_IF;   (not in a loop)\n"
     "Fix:      use RETURN to leave the POU, or put the statement in the loop."},
    {2013, "recursive call",
     "A function or block calls itself, directly or through others; IEC 61131-3 forbids\n"
     "it (its state would have no fixed size).\n"
     "Failing:  FUNCTION f : INT  f := f(1); END_FUNCTION\n"
     "Fix:      write the recursion as a loop."},
    {2014, "not a variable",
     "The target of := or => must be a variable, an element or a member.\n"
     "Failing:  a + 1 := b;\n"
     "Fix:      a := b - 1;"},
    {2015, "cannot call this",
     "The name is not a function, and it is no function block instance.\n"
     "Failing:  x(IN := TRUE);   (x : INT)\n"
     "Fix:      declare x as a block instance (x : TON) or call a function."},
    {2016, "unknown step",
     "A TRANSITION names, FROM or TO, a step the chart does not declare.\n"
     "Failing:  TRANSITION FROM s0 TO s9 := go; END_TRANSITION   (no STEP s9)\n"
     "Fix:      declare STEP s9: ... END_STEP, or name an existing step."},
    {2017, "duplicate step",
     "Two steps of a chart have one name, or a step has the name of a variable: s.X\n"
     "and s.T would not say which is meant.\n"
     "Failing:  STEP fill: END_STEP  STEP fill: END_STEP\n"
     "Fix:      STEP fill: END_STEP  STEP drain: END_STEP"},
    {2018, "initial step",
     "A chart has exactly one INITIAL_STEP, where it starts; none or two is an error.\n"
     "Failing:  STEP s0: END_STEP   (and no INITIAL_STEP)\n"
     "Fix:      INITIAL_STEP s0: END_STEP"},
    {2019, "unknown action",
     "A step associates an action that is neither an ACTION of the chart nor a variable\n"
     "of the POU (a BOOL variable is an action: TRUE while the action is active).\n"
     "Failing:  STEP s1: pmup(N); END_STEP   (ACTION pump)\n"
     "Fix:      STEP s1: pump(N); END_STEP"},
    {2020, "bad action qualifier",
     "An action association's qualifier is one of N, S, R, P, L, D, SD, DS, SL.\n"
     "Failing:  STEP s1: pump(X); END_STEP\n"
     "Fix:      STEP s1: pump(N); END_STEP"},
    {2021, "action time missing",
     "The qualifiers L, D, SD, DS and SL are timed: the association gives the time.\n"
     "Failing:  STEP s1: pump(L); END_STEP\n"
     "Fix:      STEP s1: pump(L, T#2s); END_STEP"},
    {2022, "action time not allowed",
     "The qualifiers N, S, R and P take no time.\n"
     "Failing:  STEP s1: pump(S, T#2s); END_STEP\n"
     "Fix:      STEP s1: pump(S); END_STEP   (or SL, T#2s to store it for 2 s)"},
    {2023, "bad task settings",
     "A TASK's INTERVAL must be a constant TIME above 0, in whole microseconds, and its\n"
     "PRIORITY a constant integer 0..65535 (0 runs first). With several tasks each needs\n"
     "an INTERVAL.\n"
     "Failing:  TASK fast(INTERVAL := T#0s, PRIORITY := 0);\n"
     "Fix:      TASK fast(INTERVAL := T#10ms, PRIORITY := 0);"},
    {3001, "type mismatch",
     "A value of one type is used where another is needed and the conversion could lose\n"
     "information; the message names the conversion function to call.\n"
     "Failing:  VAR i : INT; d : DINT; END_VAR i := d;\n"
     "Fix:      i := DINT_TO_INT(d);"},
    {3002, "literal out of range",
     "An untyped literal takes the type its context needs and must fit in it.\n"
     "Failing:  VAR b : SINT; END_VAR b := 200;\n"
     "Fix:      b := 100;  or declare b : INT."},
    {3003, "operator not defined for the type",
     "Arithmetic is for integers, reals and TIME, and between DATE, TOD, DT and TIME as\n"
     "IEC's table lists (DT - DT, DT + TIME, TOD + TIME, DATE - DATE...); AND, OR, XOR,\n"
     "NOT for BOOL, bit strings and integers; comparisons for values of one type.\n"
     "Failing:  x := TRUE + 1;   d := D#2024-01-01 + D#2024-01-02;\n"
     "Fix:      x := BOOL_TO_INT(TRUE) + 1;   t := D#2024-01-02 - D#2024-01-01;"},
    {3004, "signed and unsigned mixed",
     "An operation mixes a signed and an unsigned type of the same width, or a bit string\n"
     "with a number; the message names the conversion to call.\n"
     "Failing:  VAR i : INT; u : UINT; END_VAR x := i + u;\n"
     "Fix:      x := i + UINT_TO_INT(u);"},
    {3005, "bit index out of range",
     "w.n reads bit n of w; n must be below the width of w's type.\n"
     "Failing:  VAR b : BYTE; END_VAR x := b.8;\n"
     "Fix:      x := b.7;"},
    {3006, "bad array access",
     "Subscripts must be integers, one per dimension; a constant index must be within\n"
     "the bounds.\n"
     "Failing:  VAR a : ARRAY[1..3] OF INT; END_VAR a[4] := 1;\n"
     "Fix:      a[3] := 1;"},
    {3007, "BOOL needed",
     "IF, ELSIF, WHILE and UNTIL take a BOOL condition.\n"
     "Failing:  IF count THEN ...\n"
     "Fix:      IF count <> 0 THEN ..."},
    {3008, "constant needed",
     "Array bounds, subrange bounds, STRING lengths and CASE labels must be constant.\n"
     "Failing:  VAR n : INT; a : ARRAY[1..n] OF INT; END_VAR\n"
     "Fix:      VAR CONSTANT n : INT := 10; END_VAR, or ARRAY[1..10]."},
    {3009, "bad bounds",
     "A range whose low bound is above its high bound, a STRING length outside 1..1024,\n"
     "or an array too large.\n"
     "Failing:  a : ARRAY[5..1] OF INT;\n"
     "Fix:      a : ARRAY[1..5] OF INT;"},
    {3010, "value out of subrange",
     "A constant assigned or given as initial value lies outside the subrange.\n"
     "Failing:  VAR p : INT(0..100) := 150; END_VAR\n"
     "Fix:      VAR p : INT(0..100) := 100; END_VAR"},
    {3011, "no value here",
     "The expression has no value: a call of a function block, or of a function\n"
     "without a result type, used as a value.\n"
     "Failing:  x := t1(IN := a, PT := T#1s);\n"
     "Fix:      t1(IN := a, PT := T#1s); x := t1.Q;"},
    {4001, "no tag at the address",
     "With --layout, a located variable is the tag whose iec_address is that address.\n"
     "Failing:  lamp AT %QX0.5 : BOOL;   (no tag has iec_address = %QX0.5)\n"
     "Fix:      add iec_address = %QX0.5 to the tag in the layout, or fix the address."},
    {4002, "tag not written by the logic",
     "A program may write only tags of regions whose writer is logic.\n"
     "Failing:  start_button := TRUE;   (region inputs, writer io)\n"
     "Fix:      write an output or status tag instead."},
    {4003, "type does not match the tag",
     "The ST type must be the tag's: BOOL=bool, INT=int16, UINT/WORD=uint16, DINT=int32,\n"
     "UDINT/DWORD=uint32, REAL=float32.\n"
     "Failing:  VAR_EXTERNAL level : INT; END_VAR   (tag level is float32)\n"
     "Fix:      VAR_EXTERNAL level : REAL; END_VAR"},
    {4004, "not a layout tag",
     "With --layout, a VAR_EXTERNAL must name a tag of the layout or a VAR_GLOBAL of\n"
     "the configuration.\n"
     "Failing:  VAR_EXTERNAL motr_run : BOOL; END_VAR\n"
     "Fix:      VAR_EXTERNAL motor_run : BOOL; END_VAR"},
    {4006, "RETAIN without a retained tag",
     "Built with --layout, a RETAIN variable is the layout tag of its name, which must be\n"
     "retain = yes in a region the logic writes: plc-retain keeps it on disk and\n"
     "plc-shm-init restores it after a restart. Its initial value is the tag's. Only a\n"
     "PROGRAM's elementary variables and VAR_GLOBALs can be RETAIN this way.\n"
     "Failing:  VAR RETAIN hours : UDINT := 0; END_VAR   (no tag 'hours' in the layout)\n"
     "Fix:      [tag hours] region = status, type = uint32, retain = yes in the layout,\n"
     "          and VAR RETAIN hours : UDINT; END_VAR"},
    {4005, "layout unusable",
     "The layout given with --layout cannot be loaded; the message says why.\n"
     "Failing:  plc-st build p.st --layout missing.ini -o p.so\n"
     "Fix:      give the layout file plc-logic runs with."},
    {4007, "type does not fit the address",
     "plc-st layout makes a tag of the located variable's type, which must fit the\n"
     "address's size: X BOOL; B SINT, USINT, BYTE; W INT, UINT, WORD; D DINT, UDINT,\n"
     "DWORD, REAL; L LINT, ULINT, LWORD, LREAL.\n"
     "Failing:  level AT %MW0 : REAL;\n"
     "Fix:      level AT %MD0 : REAL;"},
    {4008, "an address both the program and SCADA could write (warning)",
     "In OpenPLC the program and a Modbus client may both write a %MW, %MD or %ML. Here\n"
     "each region has one writer: plc-st layout puts an address the program writes in\n"
     "region 'memory', which the logic writes, so a SCADA write to it is refused with\n"
     "exception 02. When SCADA sets the value (a setpoint, a command the program\n"
     "clears), use two addresses: one SCADA writes and the program only reads, one the\n"
     "program writes (docs/programs.md, commands).\n"
     "Failing:  IF %MW0 = 1 THEN run := TRUE; %MW0 := 0; END_IF;\n"
     "Fix:      IF %MW0 <> %MW1 THEN run := TRUE; %MW1 := %MW0; END_IF;   (SCADA counts up %MW0)"},
    {4009, "an address nothing drives (warning)",
     "plc-st layout warns about an input with no GPIO line in the base layout (nothing\n"
     "writes it), an output the program never writes (in OpenPLC a SCADA write could set\n"
     "it; here only the logic writes outputs), and an address with no Modbus address on\n"
     "OpenPLC's map (%IB, %QB, %MX, addresses past 1023).\n"
     "Failing:  spare AT %IX5.0 : BOOL;   (the Pi map ends at %IX1.5)\n"
     "Fix:      use an address of the map, or bind the tag in the generated layout by hand."},
    {4010, "one address, two types",
     "Two located variables at one address must have one type: the address is one tag.\n"
     "Failing:  a AT %MW0 : INT;  ...  b AT %MW0 : UINT;\n"
     "Fix:      declare both INT, or use another address for one."},
    {4011, "no located variable",
     "plc-st layout maps the located variables (AT %IX0.0 ...) of the program; it has none.\n"
     "Failing:  plc-st layout counter.st -o counter.ini   (no AT in counter.st)\n"
     "Fix:      locate the variables SCADA and the wiring reach, or write the layout by hand."},
    {5001, "Instruction List",
     "IL (LD, ST, JMP ... lines) is not supported: write the POU in Structured Text.\n"
     "Failing:  LD a\n"
     "Fix:      x := a;"},
    {5002, "SFC in a FUNCTION",
     "A Sequential Function Chart keeps which steps are active from scan to scan; a\n"
     "FUNCTION keeps nothing, so its body cannot be a chart. (A top-level ACTION, outside\n"
     "a POU, is refused under this code too.)\n"
     "Failing:  FUNCTION f : BOOL INITIAL_STEP s0: END_STEP END_FUNCTION\n"
     "Fix:      write the chart in a FUNCTION_BLOCK or PROGRAM."},
    {5003, "pointers and references",
     "POINTER TO, REFERENCE TO, REF= and ^ are not supported.\n"
     "Failing:  p : POINTER TO INT;\n"
     "Fix:      pass the variable VAR_IN_OUT."},
    {5004, "object-oriented extensions",
     "METHOD, PROPERTY, INTERFACE, EXTENDS, IMPLEMENTS, THIS and SUPER are not supported.\n"
     "Failing:  FUNCTION_BLOCK b EXTENDS a\n"
     "Fix:      compose blocks: declare an instance of a inside b."},
    {5005, "LTIME",
     "LTIME and its literals LT#, LTIME# are not supported: TIME already counts\n"
     "nanoseconds in 64 bits.\n"
     "Failing:  d : LTIME := LT#1s;\n"
     "Fix:      d : TIME := T#1s;"},
    {5006, "C code in a used POU",
     "A { ... } pragma or a (*FILE:...*) block carries C code; a POU that holds one may be\n"
     "in the file but not called by the program. A (*FILE:...*) block outside any POU, as\n"
     "newer OpenPLC editors append, is refused too, naming its file.\n"
     "Failing:  a program calls a library block that contains {{ ... }}\n"
     "Fix:      write the block in ST, or remove the call."},
    {5007, "configurations and tasks",
     "One CONFIGURATION runs, with at most 16 tasks (the tick's task of the instances\n"
     "without WITH counted).\n"
     "Failing:  CONFIGURATION a ... END_CONFIGURATION CONFIGURATION b ... END_CONFIGURATION\n"
     "Fix:      put every program instance and task in one configuration."},
    {5008, "Siemens SCL",
     "This is Siemens SCL (#local, \"DB\".x, REGION, ORGANIZATION_BLOCK, DATA_BLOCK), not\n"
     "IEC 61131-3 Structured Text.\n"
     "Failing:  #count := #count + 1;\n"
     "Fix:      count := count + 1;  (declare count in VAR)"},
    {5009, "CODESYS or TwinCAT",
     "This is a CODESYS/TwinCAT extension ({attribute}, METHOD, PROPERTY, __NEW,\n"
     "POINTER TO, REFERENCE TO, S= and R= assignments).\n"
     "Failing:  lamp S= start;\n"
     "Fix:      IF start THEN lamp := TRUE; END_IF;"},
    {5010, "not supported",
     "The construct is valid IEC 61131-3 but this compiler does not take it yet.\n"
     "Failing:  (the message names it)\n"
     "Fix:      write it with the supported constructs (docs/st.md)."},
    {5011, "LD, FBD, SFC or IL body in PLCopen XML",
     "plc-st compiles the Structured Text bodies of a plc.xml; a POU drawn in Ladder or\n"
     "Function Block Diagram, or written in SFC or Instruction List, is not translated.\n"
     "The OpenPLC Editor translates every POU to ST: \"Generate program for OpenPLC\n"
     "Runtime\" writes a .st file that plc-st builds.\n"
     "Failing:  plc-st build plc.xml -o prog.so   (a <pou> with <body><LD>)\n"
     "Fix:      plc-st build generated_plc.st -o prog.so"},
    {5012, "PLCopen XML element not supported",
     "The PLCopen XML holds something plc-st does not translate: actions or transitions\n"
     "of a POU, a <pou> without name or pouType, a type or initial value form other than\n"
     "the elementary types, derived, string, array, enum, struct and subrange ones.\n"
     "Failing:  <pou name=\"p\" pouType=\"program\"><actions>...</actions>...\n"
     "Fix:      move the action's code into the body, or call a function block."},
    {5013, "SFC mixed with statements",
     "A PROGRAM or FUNCTION_BLOCK body is either a Sequential Function Chart (steps,\n"
     "transitions, actions) or ST statements, not both: where statements would run among\n"
     "the chart's phases is not defined. Put them in an ACTION of a step.\n"
     "Failing:  x := 1;  INITIAL_STEP s0: END_STEP\n"
     "Fix:      INITIAL_STEP s0: init(N); END_STEP  ACTION init: x := 1; END_ACTION"},
    {5015, "SINGLE (event) task",
     "A TASK with SINGLE runs on a rising edge of a variable; only cyclic tasks (INTERVAL)\n"
     "are supported.\n"
     "Failing:  TASK ev(SINGLE := trigger, PRIORITY := 0);\n"
     "Fix:      TASK ev(INTERVAL := T#10ms, PRIORITY := 0); and test the edge with R_TRIG."},
    {5016, "several resources",
     "One RESOURCE runs all the tasks of the configuration; a second one is refused.\n"
     "Failing:  RESOURCE r0 ON PLC ... END_RESOURCE RESOURCE r1 ON PLC ... END_RESOURCE\n"
     "Fix:      move the second resource's TASKs and PROGRAMs into the first."},
    {9001, "internal compiler error",
     "The C compiler rejected the generated code: a bug in plc-st, not in your program.\n"
     "The message quotes the ST line it came from. Please report it with the file.\n"
     "Failing:  (none known)\n"
     "Fix:      simplify the line it names, and report the bug."},
    {9002, "cannot run the C compiler",
     "plc-st compiles through a C compiler (PLC_ST_CC, default cc) and needs a temporary\n"
     "directory ($TMPDIR) and the RaspiPLC headers and library.\n"
     "Failing:  PLC_ST_CC=nonexistent plc-st build p.st -o p.so\n"
     "Fix:      install a C compiler or set PLC_ST_CC."},
    {9003, "cannot read the file",
     "A source file given on the command line cannot be read, or holds a NUL byte.\n"
     "Failing:  plc-st check missing.st\n"
     "Fix:      give an existing Structured Text file."},
};

const struct st_code *st_code_find(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return &codes[i];
    return NULL;
}

const struct st_code *st_code_at(size_t i)
{
    return i < sizeof(codes) / sizeof(codes[0]) ? &codes[i] : NULL;
}
