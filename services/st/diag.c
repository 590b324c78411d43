/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: `file:line:col: error[Pnnnn]: message`, the source line and a
 * caret under the column, rendered here and nowhere else.
 */
#include <string.h>

#include "ast.h"

void st_ctx_init(struct st_ctx *ctx, FILE *diag)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->diag = diag;
}

void st_ctx_free(struct st_ctx *ctx)
{
    st_arena_free(&ctx->arena);
}

struct st_loc st_loc_user(const struct st_ctx *ctx, struct st_loc loc)
{
    if (loc.file >= ctx->source_count)
        return loc;
    const struct st_source *s = &ctx->sources[loc.file];
    if (!s->origin || loc.line == 0 || loc.line > s->origin_lines)
        return loc;
    const struct st_line_origin *o = &s->origin[loc.line - 1];
    loc.col = o->verbatim ? loc.col + o->col : o->col;
    loc.line = o->line;
    return loc;
}

static const char *line_in(const char *text, size_t tlen, uint32_t line, size_t *len)
{
    *len = 0;
    if (!text || line == 0)
        return NULL;
    const char *p = text, *end = text + tlen;
    for (uint32_t l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    if (p > end)
        return NULL;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    *len = (size_t)(e - p);
    return p;
}

const char *st_source_line(const struct st_ctx *ctx, uint32_t file, uint32_t line, size_t *len)
{
    *len = 0;
    if (file >= ctx->source_count)
        return NULL;
    const struct st_source *s = &ctx->sources[file];
    return line_in(s->text, s->len, line, len);
}

static void render(struct st_ctx *ctx, bool warning, const struct st_loc *loc, int code,
                   const char *fmt, va_list ap)
{
    if (warning)
        ctx->warnings++;
    else
        ctx->errors++;
    if (!ctx->diag || ctx->muted)
        return;
    if (ctx->errors > ST_MAX_ERRORS) {
        fprintf(ctx->diag, "plc-st: too many errors, stopping here\n");
        ctx->muted = true;
        return;
    }
    const char *what = warning ? "warning" : "error";
    struct st_loc user;
    if (loc) {
        user = st_loc_user(ctx, *loc);
        loc = &user;
    }
    if (loc && loc->file < ctx->source_count)
        fprintf(ctx->diag, "%s:%u:%u: %s[P%04d]: ", ctx->sources[loc->file].name, loc->line,
                loc->col, what, code);
    else
        fprintf(ctx->diag, "plc-st: %s[P%04d]: ", what, code);
    vfprintf(ctx->diag, fmt, ap);
    fputc('\n', ctx->diag);
    if (!loc)
        return;
    size_t len;
    const char *line = NULL;
    if (loc->file < ctx->source_count) {
        const struct st_source *s = &ctx->sources[loc->file];
        line = s->shown ? line_in(s->shown, s->shown_len, loc->line, &len)
                        : st_source_line(ctx, loc->file, loc->line, &len);
    }
    if (!line)
        return;
    fprintf(ctx->diag, "%5u | %.*s\n      | ", loc->line, (int)len, line);
    /* Tabs stay tabs so the caret lands under the column in a terminal. */
    for (uint32_t c = 1; c < loc->col && c - 1 < len; c++)
        fputc(line[c - 1] == '\t' ? '\t' : ' ', ctx->diag);
    fputs("^\n", ctx->diag);
}

void st_error(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, false, &loc, code, fmt, ap);
    va_end(ap);
}

void st_warning(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, true, &loc, code, fmt, ap);
    va_end(ap);
}

void st_error_plain(struct st_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, false, NULL, code, fmt, ap);
    va_end(ap);
}
