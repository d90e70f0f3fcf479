/* hetsoc: user-facing error messages (see conf.h).
 *
 * Every error a user can cause ends up as one line in hs_err.msg, formatted
 * like a compiler's diagnostic so that editors can jump to the position.
 * Nothing here prints except hs_err_print, and nothing exits. */
#include "sim/conf/conf.h"

#include <stdarg.h>
#include <string.h>

/* Appends the formatted message at msg[off]; a too-long message is cut
 * (vsnprintf always terminates) rather than failing, since an error report
 * must never itself fail. */
static void append_v(hs_err *err, size_t off, const char *fmt, va_list ap)
{
    if (off >= sizeof err->msg)
        return;
    vsnprintf(err->msg + off, sizeof err->msg - off, fmt, ap);
}

/* snprintf returns the would-be length; clamp it so the next append starts
 * inside the buffer. */
static size_t clamp_len(int n, size_t max)
{
    if (n < 0)
        return 0;
    return (size_t)n < max ? (size_t)n : max - 1;
}

int hs_errf(hs_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    size_t off = clamp_len(snprintf(err->msg, sizeof err->msg, "error: "), sizeof err->msg);
    va_list ap;
    va_start(ap, fmt);
    append_v(err, off, fmt, ap);
    va_end(ap);
    return -1;
}

int hs_err_at(hs_err *err, const char *path, int line, int col, const char *fmt, ...)
{
    if (!err)
        return -1;
    int n;
    if (!path)
        n = snprintf(err->msg, sizeof err->msg, "error: ");
    else if (line <= 0)
        n = snprintf(err->msg, sizeof err->msg, "%s: error: ", path);
    else if (col <= 0)
        n = snprintf(err->msg, sizeof err->msg, "%s:%d: error: ", path, line);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: error: ", path, line, col);
    va_list ap;
    va_start(ap, fmt);
    append_v(err, clamp_len(n, sizeof err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void hs_err_print(const hs_err *err, FILE *f)
{
    if (!err || !f)
        return;
    fprintf(f, "%s\n", err->msg[0] ? err->msg : "error: (no message)");
}

/* Messages quote user text ('fast', a key); a stray newline or a 10 kB
 * scalar must not wreck the one-line format, so escape and cut.  Multi-byte
 * UTF-8 is kept whole (never cut inside a character). */
const char *hs_conf_quote(const char *text, char *buf, size_t size)
{
    enum { SHOWN = 60 };
    if (!buf || size == 0)
        return "";
    if (!text)
        text = "";
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        size_t n = 1;  /* bytes of this character */
        if (*s >= 0xC0)
            while (n < 4 && (s[n] & 0xC0) == 0x80)
                n++;
        char esc[8] = "";
        if (*s == '\n')
            strcpy(esc, "\\n");
        else if (*s == '\t')
            strcpy(esc, "\\t");
        else if (*s < 0x20 || *s == 0x7f || (*s >= 0x80 && *s < 0xC0))
            snprintf(esc, sizeof esc, "\\x%02x", *s);
        size_t need = esc[0] ? strlen(esc) : n;
        if (o >= SHOWN || o + need + 4 > size) {  /* room for "..." and NUL */
            if (o + 4 <= size)
                memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        memcpy(buf + o, esc[0] ? esc : (const char *)s, need);
        o += need;
        s += n;
    }
    buf[o < size ? o : size - 1] = '\0';
    return buf;
}

void hs_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned)(unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}
