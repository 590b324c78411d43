/* SPDX-License-Identifier: MIT */
/* plc-st's diagnostics: format, caret, codes; literals; refused constructs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "st.h"

/* Check @p src; return its diagnostics (free them). */
static char *check(const char *src, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rc = plc_st_check_buffer(src, strlen(src), "t.st", f);
    fclose(f);
    return buf;
}

static void expect_diag(const char *src, const char *want)
{
    int rc;
    char *out = check(src, &rc);
    if (!strstr(out, want))
        fail_msg("wanted '%s' in:\n%s", want, out);
    assert_int_equal(rc, 1);
    free(out);
}

static void diagnostic_names_file_line_column_and_puts_a_caret(void **state)
{
    int rc;
    char *out = check("PROGRAM p\nVAR x : INT; END_VAR\n  x := y;\nEND_PROGRAM\n", &rc);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "t.st:3:8: error[P2001]: 'y' is not declared\n"
                             "    3 |   x := y;\n"
                             "      |        ^\n");
    free(out);
}

static void clean_program_gives_no_output(void **state)
{
    int rc;
    char *out = check("PROGRAM p VAR x : INT; END_VAR x := x + 1; END_PROGRAM", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
    free(out);
}

static void every_error_of_a_file_is_reported(void **state)
{
    int rc;
    char *out = check("PROGRAM p\nVAR i : INT; END_VAR\n  i := a;\n  i := b;\nEND_PROGRAM\n", &rc);
    assert_non_null(strstr(out, "t.st:3:8: error[P2001]"));
    assert_non_null(strstr(out, "t.st:4:8: error[P2001]"));
    free(out);
}

static void type_errors_name_the_conversion(void **state)
{
    expect_diag("PROGRAM p VAR i : INT; d : DINT; END_VAR i := d; END_PROGRAM",
                "error[P3001]: the assigned value: DINT is not INT; convert with DINT_TO_INT(...)");
    expect_diag("PROGRAM p VAR i : INT; u : UINT; END_VAR i := i + u; END_PROGRAM",
                "error[P3004]");
    expect_diag("PROGRAM p VAR s : SINT; END_VAR s := 200; END_PROGRAM",
                "error[P3002]: 200 is outside the range of SINT");
    expect_diag("PROGRAM p VAR w : BYTE; b : BOOL; END_VAR b := w.8; END_PROGRAM",
                "error[P3005]");
}

static void literals_lex_to_their_values(void **state)
{
    struct st_ctx ctx;
    st_ctx_init(&ctx, NULL);
    const char *src = "16#FF 2#1010 8#17 1_000 1.5E3 T#3.5s t#15m2s TIME#-2s T#1d2h3m4s5ms6us7ns "
                      "'it''s$N' INT#5";
    ctx.sources[0] = (struct st_source){.name = "t.st", .text = src, .len = strlen(src)};
    ctx.source_count = 1;
    struct st_tokens t;
    st_lex(&ctx, 0, &t);
    assert_int_equal(ctx.errors, 0);
    assert_int_equal(t.v[0].ival, 255);
    assert_int_equal(t.v[1].ival, 10);
    assert_int_equal(t.v[2].ival, 15);
    assert_int_equal(t.v[3].ival, 1000);
    assert_true(t.v[4].kind == T_REAL && t.v[4].rval == 1500.0);
    assert_int_equal(t.v[5].tval, 3500000000LL);
    assert_int_equal(t.v[6].tval, 902000000000LL);
    assert_int_equal(t.v[7].tval, -2000000000LL);
    assert_int_equal(t.v[8].tval, 93784005006007LL);
    assert_int_equal(t.v[9].slen, 5);
    assert_memory_equal(t.v[9].str, "it's\n", 5);
    assert_true(t.v[10].kind == T_TYPEPFX && strcmp(t.v[10].text, "INT") == 0);
    assert_true(t.v[12].kind == T_EOF);
    st_ctx_free(&ctx);
}

static void bad_literals_are_lexical_errors(void **state)
{
    expect_diag("PROGRAM p VAR w : WORD; END_VAR w := 16#FG; END_PROGRAM", "error[P0004]");
    expect_diag("PROGRAM p VAR t : TIME; END_VAR t := T#5; END_PROGRAM", "error[P0006]");
    expect_diag("PROGRAM p VAR s : STRING; END_VAR s := 'abc; END_PROGRAM", "error[P0002]");
    expect_diag("PROGRAM p (* open", "error[P0001]");
    /* a date or time of day: the literal named, the reason given */
    expect_diag("PROGRAM p VAR d : DATE; END_VAR d := D#2023-02-29; END_PROGRAM",
                "error[P0010]: DATE literal 'D#2023-02-29': malformed, or a day");
    expect_diag("PROGRAM p VAR d : DT; END_VAR d := DT#1969-12-31-23:59:59; END_PROGRAM",
                "error[P0010]: DT literal 'DT#1969-12-31-23:59:59': a year outside 1970..2261");
    expect_diag("PROGRAM p VAR t : TOD; END_VAR t := TOD#12:60:00; END_PROGRAM", "error[P0010]");
    expect_diag("PROGRAM p VAR t : LTIME; END_VAR t := LT#1s; END_PROGRAM", "error[P5005]");
}

static void refused_constructs_are_named(void **state)
{
    expect_diag("PROGRAM p VAR x : INT; END_VAR\n  LD x\nEND_PROGRAM", "error[P5001]");
    expect_diag("FUNCTION f : BOOL\nINITIAL_STEP s0: END_STEP\nEND_FUNCTION", "error[P5002]");
    expect_diag("PROGRAM p VAR x : BOOL; END_VAR\nx := TRUE;\nINITIAL_STEP s0: END_STEP\nEND_PROGRAM",
                "error[P5013]");
    expect_diag("PROGRAM p VAR q : POINTER TO INT; END_VAR END_PROGRAM", "error[P5009]");
    expect_diag("FUNCTION_BLOCK b EXTENDS a END_FUNCTION_BLOCK PROGRAM p END_PROGRAM",
                "error[P5004]");
    expect_diag("PROGRAM p VAR d : LTIME; END_VAR END_PROGRAM", "error[P5005]");
    expect_diag("PROGRAM p VAR x : INT; END_VAR #x := 1; END_PROGRAM", "error[P5008]");
    expect_diag("ORGANIZATION_BLOCK ob1 END_ORGANIZATION_BLOCK", "error[P5008]");
    expect_diag("PROGRAM p VAR x : BOOL; END_VAR x S= TRUE; END_PROGRAM", "error[P5009]");
    expect_diag("FUNCTION_BLOCK TON END_FUNCTION_BLOCK", "error[P2003]");
}

static void c_code_is_refused_only_where_used(void **state)
{
    static const char unused[] =
        "FUNCTION_BLOCK lib\n{ some C code }\nEND_FUNCTION_BLOCK\n"
        "PROGRAM p VAR x : INT; END_VAR x := 1; END_PROGRAM\n";
    int rc;
    char *out = check(unused, &rc);
    assert_int_equal(rc, 0);
    free(out);
    expect_diag("FUNCTION_BLOCK lib\n{ some C code }\nEND_FUNCTION_BLOCK\n"
                "PROGRAM p VAR l : lib; END_VAR l(); END_PROGRAM\n",
                "t.st:2:1: error[P5006]");
}

/* Newer OpenPLC editors append C for their runtime in (*FILE:...*) lines:
 * refused, naming the file, as nothing here compiles it. */
static void file_blocks_are_refused_by_name(void **state)
{
    expect_diag("PROGRAM p VAR x : INT; END_VAR x := 1; END_PROGRAM\n"
                "(*FILE:custom.c:int custom_add(int a, int b) { return a + b; }*)\n",
                "t.st:2:1: error[P5006]: an OpenPLC (*FILE:custom.c*) block holds C code");
}

static void dbg_comments_are_ignored(void **state)
{
    int rc;
    char *out = check("(*DBG:anything*)\nPROGRAM p VAR x : BOOL; END_VAR x := True; END_PROGRAM\n"
                      "(*DBG:more*)", &rc);
    assert_int_equal(rc, 0);
    free(out);
}

static void deep_nesting_is_an_error_not_a_crash(void **state)
{
    size_t n = 100000;
    char *src = malloc(3 * n + 100);
    strcpy(src, "PROGRAM p VAR x : INT; END_VAR x := ");
    size_t l = strlen(src);
    memset(src + l, '(', n);
    src[l + n] = '\0';
    int rc;
    char *out = check(src, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "error[P1002]"));
    free(out);
    free(src);
}

static void explain_knows_every_code(void **state)
{
    int code;
    const char *title, *text;
    size_t n = 0;
    for (size_t i = 0; plc_st_code_at(i, &code, &title, &text) == 0; i++, n++) {
        assert_true(strstr(text, "Failing:") && strstr(text, "Fix:"));
        char name[16];
        snprintf(name, sizeof(name), "P%04d", code);
        FILE *f = fopen("/dev/null", "w");
        assert_int_equal(plc_st_explain(name, f), 0);
        fclose(f);
    }
    assert_true(n > 40);
    assert_int_equal(plc_st_explain("P0000", stderr), 2);
}

/* A PLCopen XML project of one program: its interface, then @p body as CDATA on line 6. */
#define XML_PROJECT(decl, body)                                                             \
    "<?xml version=\"1.0\"?>\n"                                                          \
    "<project xmlns=\"http://www.plcopen.org/xml/tc6_0201\"><types><pous>\n"            \
    "<pou name=\"p\" pouType=\"program\"><interface><localVars>\n"                    \
    "  <variable name=\"x\"><type>" decl "</type></variable>\n"                          \
    "</localVars></interface><body><ST>\n"                                                 \
    "  <p><![CDATA[" body "]]></p>\n"                                                       \
    "</ST></body></pou></pous></types></project>\n"

static void plcopen_errors_point_into_the_xml(void **state)
{
    int rc;
    /* the body's first line is shifted by the text before CDATA, the next ones not */
    char *out = check(XML_PROJECT("<INT/>", "x := 1;\nx := y;"), &rc);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "t.st:7:6: error[P2001]: 'y' is not declared\n"
                             "    7 | x := y;]]></p>\n"
                             "      |      ^\n");
    free(out);
    out = check(XML_PROJECT("<INT/>", "x := z;"), &rc);
    assert_non_null(strstr(out, "t.st:6:20: error[P2001]: 'z' is not declared"));
    free(out);
    /* a declaration's error points at its <variable> */
    expect_diag(XML_PROJECT("<derived name=\"NOPE\"/>", "x := x;"), "t.st:4:3: error[P2004]");
    expect_diag(XML_PROJECT("<pointer><baseType><INT/></baseType></pointer>", ""),
                "t.st:4:3: error[P5003]");
}

static void plcopen_refuses_graphical_bodies_and_bad_xml(void **state)
{
    expect_diag("<project><types><pous><pou name=\"ladder\" pouType=\"program\">\n"
                "<body><LD/></body></pou></pous></types></project>",
                "t.st:2:1: error[P5011]: POU 'ladder' has an LD body");
    expect_diag("<project><types>\n<pous></types></project>", "t.st:2:15: error[P0009]");
    expect_diag("<plc/>", "error[P0009]: not a PLCopen XML project");
    expect_diag("  <", "error[P0009]: malformed XML");
}

/* Every prefix of a good project is an error or fine, never a crash. */
static void plcopen_truncated_files_are_errors_not_crashes(void **state)
{
    static const char good[] = XML_PROJECT("<INT/>", "x := x + 1;");
    int rc;
    char *out = check(good, &rc);
    assert_int_equal(rc, 0);
    free(out);
    for (size_t n = 1; n < sizeof(good) - 1; n++) {
        rc = plc_st_check_buffer(good, n, "t.st", NULL);
        assert_true(rc == 0 || rc == 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diagnostic_names_file_line_column_and_puts_a_caret),
        cmocka_unit_test(clean_program_gives_no_output),
        cmocka_unit_test(every_error_of_a_file_is_reported),
        cmocka_unit_test(type_errors_name_the_conversion),
        cmocka_unit_test(literals_lex_to_their_values),
        cmocka_unit_test(bad_literals_are_lexical_errors),
        cmocka_unit_test(refused_constructs_are_named),
        cmocka_unit_test(c_code_is_refused_only_where_used),
        cmocka_unit_test(file_blocks_are_refused_by_name),
        cmocka_unit_test(dbg_comments_are_ignored),
        cmocka_unit_test(deep_nesting_is_an_error_not_a_crash),
        cmocka_unit_test(explain_knows_every_code),
        cmocka_unit_test(plcopen_errors_point_into_the_xml),
        cmocka_unit_test(plcopen_refuses_graphical_bodies_and_bad_xml),
        cmocka_unit_test(plcopen_truncated_files_are_errors_not_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
