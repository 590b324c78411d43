/* SPDX-License-Identifier: MIT */
/*
 * PLCopen TC6 XML into Structured Text. The project's <dataTypes> become a
 * TYPE block, each <pou> a PROGRAM, FUNCTION_BLOCK or FUNCTION with VAR
 * sections from its <interface> and its ST body copied line for line, and
 * <instances> the CONFIGURATION. Every generated line records its origin in
 * the XML, so diagnostics name plc.xml lines; a body line keeps its columns.
 * Only ST bodies translate: LD, FBD, SFC and IL bodies are refused (the
 * editor generates the equivalent .st). Elements are matched by local name,
 * whatever their namespace.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "plcopen.h"

struct xw {
    struct st_ctx *ctx;
    uint32_t file;
    const char *xml; /* the user's file */
    size_t xml_len;
    char *buf; /* the ST written so far */
    size_t len, cap;
    struct st_line_origin *map;
    size_t lines, map_cap;
    bool oom;
};

bool st_plcopen_is_xml(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    return i < len && text[i] == '<';
}

/* ---- the XML ------------------------------------------------------------------ */

static bool is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_elem(xmlNode *n)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

static xmlNode *next_elem(xmlNode *n)
{
    return n ? first_elem(n->next) : NULL;
}

/* The next sibling element named @p name, from @p n on. */
static xmlNode *named(xmlNode *n, const char *name)
{
    for (n = first_elem(n); n; n = next_elem(n))
        if (is(n, name))
            return n;
    return NULL;
}

static xmlNode *child(xmlNode *n, const char *name)
{
    return n ? named(n->children, name) : NULL;
}

/* Iterate over the children of @p parent named @p name. */
#define EACH(var, parent, name) \
    for (xmlNode *var = child(parent, name); var; var = named(var->next, name))

/* An attribute's value, in the arena; NULL when absent. */
static const char *attr(struct xw *w, xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    const char *s = st_strdup(&w->ctx->arena, (const char *)v);
    xmlFree(v);
    return s;
}

static bool attr_true(struct xw *w, xmlNode *n, const char *name)
{
    const char *v = attr(w, n, name);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static uint32_t line_of(const xmlNode *n)
{
    long l = xmlGetLineNo(n);
    return l > 0 ? (uint32_t)l : 1;
}

/* Offset of line @p line in the XML. */
static size_t line_start(const struct xw *w, uint32_t line)
{
    size_t i = 0;
    for (uint32_t l = 1; l < line && i < w->xml_len; i++)
        if (w->xml[i] == '\n')
            l++;
    return i;
}

/* The column of the first non-blank of a line: where its element starts. */
static uint32_t indent_of(const struct xw *w, uint32_t line)
{
    size_t i = line_start(w, line), c = 1;
    while (i < w->xml_len && (w->xml[i] == ' ' || w->xml[i] == '\t'))
        i++, c++;
    return (uint32_t)c;
}

static void xerror(struct xw *w, xmlNode *n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void xerror(struct xw *w, xmlNode *n, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    uint32_t line = line_of(n);
    st_error(w->ctx, (struct st_loc){w->file, line, indent_of(w, line)}, code, "%s", msg);
}

/* ---- the ST being written ----------------------------------------------------- */

static void put_n(struct xw *w, const char *s, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = true;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void put(struct xw *w, const char *s)
{
    if (s)
        put_n(w, s, strlen(s));
}

static void put3(struct xw *w, const char *a, const char *b, const char *c)
{
    put(w, a);
    put(w, b);
    put(w, c);
}

/* ", " before every item of a list but the first. */
static void list_sep(struct xw *w, bool *first)
{
    put(w, *first ? "" : ", ");
    *first = false;
}

/* End the line, written from XML line @p line. */
static void eol_at(struct xw *w, uint32_t line, uint32_t col, bool verbatim)
{
    put_n(w, "\n", 1);
    if (w->oom)
        return;
    if (w->lines == w->map_cap) {
        size_t cap = w->map_cap ? w->map_cap * 2 : 256;
        struct st_line_origin *m = realloc(w->map, cap * sizeof(*m));
        if (!m) {
            w->oom = true;
            return;
        }
        w->map = m;
        w->map_cap = cap;
    }
    w->map[w->lines++] = (struct st_line_origin){line, col, verbatim};
}

/* End a line made from element @p n: errors on it point at the element. */
static void eol(struct xw *w, xmlNode *n)
{
    uint32_t line = line_of(n);
    eol_at(w, line, indent_of(w, line), false);
}

/* ---- types and values ------------------------------------------------------- */

static void decl_line(struct xw *w, xmlNode *v, const char *indent, const char *type_elem);

/* The type held by @p holder (<type>, <baseType>, <returnType>, a <dataType>'s <baseType>). */
static void type_of(struct xw *w, xmlNode *holder)
{
    xmlNode *t = holder ? first_elem(holder->children) : NULL;
    if (!t) {
        xerror(w, holder, 5012, "a type is missing here");
        return;
    }
    const char *n = (const char *)t->name;
    if (is(t, "derived")) {
        put(w, attr(w, t, "name"));
    } else if (is(t, "string") || is(t, "wstring")) {
        put(w, is(t, "string") ? "STRING" : "WSTRING");
        const char *l = attr(w, t, "length");
        if (l)
            put3(w, "[", l, "]");
    } else if (is(t, "array")) {
        put(w, "ARRAY [");
        bool first = true;
        EACH(d, t, "dimension") {
            list_sep(w, &first);
            put3(w, attr(w, d, "lower"), "..", attr(w, d, "upper"));
        }
        put(w, "] OF ");
        type_of(w, child(t, "baseType"));
    } else if (is(t, "enum")) {
        put(w, "(");
        bool first = true;
        EACH(v, child(t, "values"), "value") {
            list_sep(w, &first);
            put(w, attr(w, v, "name"));
        }
        put(w, ")");
    } else if (is(t, "struct")) {
        put(w, "STRUCT");
        eol(w, t);
        EACH(v, t, "variable")
            decl_line(w, v, "      ", "type");
        put(w, "    END_STRUCT");
    } else if (is(t, "subrangeSigned") || is(t, "subrangeUnsigned")) {
        xmlNode *r = child(t, "range");
        type_of(w, child(t, "baseType"));
        put3(w, " (", r ? attr(w, r, "lower") : "", "..");
        put3(w, r ? attr(w, r, "upper") : "", ")", NULL);
    } else if (is(t, "pointer")) {
        xerror(w, t, 5003, "pointer types are not supported");
    } else if (strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == strlen(n)) {
        put(w, n); /* an elementary type: BOOL, INT, TIME, DATE ... the checker judges */
    } else {
        xerror(w, t, 5012, "the PLCopen type <%s> is not supported", n);
    }
}

/* An <initialValue> or a <value> of one: simple, array or struct. */
static void value_of(struct xw *w, xmlNode *holder)
{
    xmlNode *v = holder ? first_elem(holder->children) : NULL;
    if (is(v, "simpleValue")) {
        put(w, attr(w, v, "value"));
    } else if (is(v, "arrayValue")) {
        put(w, "[");
        bool first = true;
        EACH(e, v, "value") {
            list_sep(w, &first);
            const char *rep = attr(w, e, "repetitionValue");
            if (rep)
                put3(w, rep, "(", NULL);
            value_of(w, e);
            if (rep)
                put(w, ")");
        }
        put(w, "]");
    } else if (is(v, "structValue")) {
        put(w, "(");
        bool first = true;
        EACH(e, v, "value") {
            list_sep(w, &first);
            put3(w, attr(w, e, "member"), " := ", NULL);
            value_of(w, e);
        }
        put(w, ")");
    } else {
        xerror(w, holder, 5012, "this initial value form is not supported");
    }
}

/* <variable name=".." address=".."><type/><initialValue/></variable> as one
 * declaration, or a <dataType>, its type in @p type_elem. */
static void decl_line(struct xw *w, xmlNode *v, const char *indent, const char *type_elem)
{
    put(w, indent);
    put(w, attr(w, v, "name"));
    const char *at = attr(w, v, "address");
    if (at) {
        put(w, " AT ");
        put(w, at);
    }
    put(w, " : ");
    type_of(w, child(v, type_elem));
    xmlNode *init = child(v, "initialValue");
    if (init) {
        put(w, " := ");
        value_of(w, init);
    }
    put(w, ";");
    eol(w, v);
}

static const struct {
    const char *element, *keyword;
} sections[] = {
    {"localVars", "VAR"},          {"tempVars", "VAR_TEMP"},
    {"inputVars", "VAR_INPUT"},    {"outputVars", "VAR_OUTPUT"},
    {"inOutVars", "VAR_IN_OUT"},   {"externalVars", "VAR_EXTERNAL"},
    {"globalVars", "VAR_GLOBAL"},  {"accessVars", "VAR_ACCESS"},
};

/* A <localVars>, <inputVars>, ... block: false when @p n is none. */
static bool var_block(struct xw *w, xmlNode *n, const char *indent)
{
    const char *kw = NULL;
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (is(n, sections[i].element))
            kw = sections[i].keyword;
    if (!kw)
        return false;
    put(w, indent);
    put(w, kw);
    if (attr_true(w, n, "constant"))
        put(w, " CONSTANT");
    if (attr_true(w, n, "retain") || attr_true(w, n, "persistent"))
        put(w, " RETAIN");
    else if (attr_true(w, n, "nonretain"))
        put(w, " NON_RETAIN");
    eol(w, n);
    char inner[32];
    snprintf(inner, sizeof(inner), "%s  ", indent);
    EACH(v, n, "variable")
        decl_line(w, v, inner, "type");
    put(w, indent);
    put(w, "END_VAR");
    eol(w, n);
    return true;
}

/* ---- bodies ------------------------------------------------------------------- */

/*
 * Where the text of @p holder starts in the XML: libxml2 gives no column,
 * and a CDATA node only its parent's line. From the line of @p holder's
 * start tag, skip tags and the blanks between them to the first CDATA
 * section or text.
 */
static void text_start(const struct xw *w, xmlNode *holder, uint32_t *line, uint32_t *col)
{
    uint32_t l = line_of(holder);
    size_t i = line_start(w, l), end = w->xml_len;
    const char *x = w->xml;
    for (;;) {
        size_t j = i;
        while (j < end && (x[j] == ' ' || x[j] == '\t' || x[j] == '\n' || x[j] == '\r'))
            j++;
        if (j < end && x[j] == '<') {
            if (end - j >= 9 && memcmp(x + j, "<![CDATA[", 9) == 0) {
                i = j + 9;
                break;
            }
            while (j < end && x[j] != '>')
                j++;
            i = j < end ? j + 1 : end;
            continue;
        }
        break; /* text: it starts with its blanks */
    }
    size_t ls = line_start(w, l);
    for (size_t k = ls; k < i; k++)
        if (x[k] == '\n') {
            l++;
            ls = k + 1;
        }
    *line = l;
    *col = (uint32_t)(i - ls);
}

/* An <ST> body: its text line for line, each line's origin its XML line. */
static void st_body(struct xw *w, xmlNode *st)
{
    xmlNode *holder = first_elem(st->children) ? first_elem(st->children) : st;
    xmlChar *text = xmlNodeGetContent(holder);
    if (!text)
        return;
    uint32_t line, col;
    text_start(w, holder, &line, &col);
    const char *p = (const char *)text;
    for (uint32_t i = 0; *p; i++) {
        size_t n = strcspn(p, "\n");
        put_n(w, p, n);
        eol_at(w, line + i, i == 0 ? col : 0, true);
        p += n + (p[n] == '\n');
    }
    xmlFree(text);
}

static const struct {
    const char *type, *begin, *end;
} pou_kinds[] = {
    {"program", "PROGRAM", "END_PROGRAM"},
    {"functionBlock", "FUNCTION_BLOCK", "END_FUNCTION_BLOCK"},
    {"function", "FUNCTION", "END_FUNCTION"},
};

static void pou(struct xw *w, xmlNode *p)
{
    const char *name = attr(w, p, "name"), *type = attr(w, p, "pouType");
    size_t k = 0;
    while (k < sizeof(pou_kinds) / sizeof(pou_kinds[0]) &&
           !(type && strcmp(type, pou_kinds[k].type) == 0))
        k++;
    if (!name || k == sizeof(pou_kinds) / sizeof(pou_kinds[0])) {
        xerror(w, p, 5012, "a <pou> needs a name and a pouType of program, functionBlock "
               "or function");
        return;
    }
    xmlNode *body = child(p, "body");
    xmlNode *lang = body ? first_elem(body->children) : NULL;
    while (lang && is(lang, "documentation"))
        lang = next_elem(lang);
    if (lang && !is(lang, "ST")) {
        xerror(w, lang, 5011, "POU '%s' has an %s body: only Structured Text is compiled; "
               "use the editor's \"Generate program for OpenPLC Runtime\" to produce the .st "
               "and build that", name, (const char *)lang->name);
        return;
    }
    if (child(p, "actions") || child(p, "transitions")) {
        xerror(w, p, 5012, "POU '%s' has actions or transitions, which are not supported",
               name);
        return;
    }
    put(w, pou_kinds[k].begin);
    put(w, " ");
    put(w, name);
    xmlNode *iface = child(p, "interface");
    if (k == 2) {
        put(w, " : ");
        type_of(w, child(iface, "returnType"));
    }
    eol(w, p);
    for (xmlNode *s = iface ? first_elem(iface->children) : NULL; s; s = next_elem(s))
        var_block(w, s, "  ");
    if (lang)
        st_body(w, lang);
    put(w, pou_kinds[k].end);
    eol(w, body ? body : p);
}

/* ---- the project -------------------------------------------------------------- */

static void data_types(struct xw *w, xmlNode *types)
{
    if (!types || !child(types, "dataType"))
        return;
    put(w, "TYPE");
    eol(w, types);
    EACH(d, types, "dataType")
        decl_line(w, d, "  ", "baseType");
    put(w, "END_TYPE");
    eol(w, types);
}

static void program_instance(struct xw *w, xmlNode *pi, const char *task)
{
    put(w, "    PROGRAM ");
    put(w, attr(w, pi, "name"));
    if (task) {
        put(w, " WITH ");
        put(w, task);
    }
    put(w, " : ");
    put(w, attr(w, pi, "typeName"));
    put(w, ";");
    eol(w, pi);
}

static void task(struct xw *w, xmlNode *t)
{
    const char *name = attr(w, t, "name");
    put(w, "    TASK ");
    put(w, name);
    static const char *const params[][2] = {
        {"interval", "INTERVAL"}, {"single", "SINGLE"}, {"priority", "PRIORITY"}};
    const char *sep = "(";
    for (size_t i = 0; i < 3; i++) {
        const char *v = attr(w, t, params[i][0]);
        if (!v || !*v)
            continue;
        put(w, sep);
        put(w, params[i][1]);
        put(w, " := ");
        put(w, v);
        sep = ", ";
    }
    put(w, *sep == ',' ? ");" : ";");
    eol(w, t);
    EACH(pi, t, "pouInstance")
        program_instance(w, pi, name);
}

static void configuration(struct xw *w, xmlNode *c)
{
    put(w, "CONFIGURATION ");
    put(w, attr(w, c, "name"));
    eol(w, c);
    for (xmlNode *n = first_elem(c->children); n; n = next_elem(n)) {
        if (var_block(w, n, "  ") || !is(n, "resource"))
            continue;
        put(w, "  RESOURCE ");
        put(w, attr(w, n, "name"));
        put(w, " ON PLC");
        eol(w, n);
        for (xmlNode *r = first_elem(n->children); r; r = next_elem(r)) {
            if (var_block(w, r, "    "))
                continue;
            if (is(r, "task"))
                task(w, r);
            else if (is(r, "pouInstance"))
                program_instance(w, r, NULL);
        }
        put(w, "  END_RESOURCE");
        eol(w, n);
    }
    put(w, "END_CONFIGURATION");
    eol(w, c);
}

static void project(struct xw *w, xmlNode *root)
{
    xmlNode *types = child(root, "types");
    data_types(w, child(types, "dataTypes"));
    EACH(p, child(types, "pous"), "pou")
        pou(w, p);
    EACH(c, child(child(root, "instances"), "configurations"), "configuration")
        configuration(w, c);
}

/* The first error libxml2 finds: later ones follow from it ("Premature end of data"). */
struct first_error {
    bool set;
    int line, col;
    char msg[256];
};

static void keep_first_error(void *data, xmlErrorPtr e)
{
    struct first_error *f = ((xmlParserCtxtPtr)data)->_private;
    if (!f || f->set || !e || e->level < XML_ERR_ERROR)
        return;
    f->set = true;
    f->line = e->line;
    f->col = e->int2;
    snprintf(f->msg, sizeof(f->msg), "%s", e->message ? e->message : "not well-formed");
    f->msg[strcspn(f->msg, "\n")] = '\0';
}

int st_plcopen_translate(struct st_ctx *ctx, uint32_t file)
{
    struct st_source *s = &ctx->sources[file];
    struct xw w = {.ctx = ctx, .file = file, .xml = s->text, .xml_len = s->len};
    unsigned errors = ctx->errors;
    xmlInitParser();
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (!pc) {
        st_error_plain(ctx, 9003, "cannot read '%s': out of memory", s->name);
        return -1;
    }
    struct first_error fe = {0};
    pc->_private = &fe;
    pc->sax->serror = keep_first_error;
    /* No network, no external entities (the default), no messages of
     * libxml2's own: its error comes out as a diagnostic. */
    xmlDocPtr doc = s->len > INT32_MAX ? NULL
        : xmlCtxtReadMemory(pc, s->text, (int)s->len, s->name, NULL,
                            XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!doc) {
        uint32_t line = fe.line > 0 ? (uint32_t)fe.line : 1;
        uint32_t col = fe.col > 0 ? (uint32_t)fe.col : 1;
        st_error(ctx, (struct st_loc){file, line, col}, 9, "malformed XML: %s",
                 fe.set ? fe.msg : "not well-formed");
    } else if (!is(root, "project")) {
        xerror(&w, root ? root : (xmlNode *)doc, 9,
               "not a PLCopen XML project: the root element is <%s>, not <project>",
               root ? (const char *)root->name : "");
    } else {
        project(&w, root);
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pc);
    if (w.oom)
        st_error_plain(ctx, 9003, "cannot translate '%s': out of memory", s->name);
    if (ctx->errors == errors) {
        s->shown = s->text;
        s->shown_len = s->len;
        s->text = st_strndup(&ctx->arena, w.buf ? w.buf : "", w.len);
        s->len = w.len;
        struct st_line_origin *m = st_alloc(&ctx->arena, (w.lines + 1) * sizeof(*m));
        if (w.lines)
            memcpy(m, w.map, w.lines * sizeof(*m));
        s->origin = m;
        s->origin_lines = (uint32_t)w.lines;
    }
    free(w.buf);
    free(w.map);
    return ctx->errors == errors ? 0 : -1;
}
