/*
 * python.i -- the Python face of pop3_core.i: builds the private
 * extension pop3._pop3.  Users never import it; the hand-written package
 * (python/src/pop3/) wraps it in classes, iterators and exceptions.
 */
%module(package="pop3", threads="1") _pop3

%{
#include <string.h>
%}

/* ---- the GIL ----
 * threads="1" releases the GIL around every wrapped call, so a blocking
 * function added to pop3.h later is covered without touching this file.
 * The calls below never block, so they keep the GIL (cheaper). */
%nothread pop3_strerror;
%nothread pop3_status_family;
%nothread pop3_version;
%nothread pop3_options_init_size;
%nothread pop3_get_state;
%nothread pop3_last_status;
%nothread pop3_server_text;
%nothread pop3_resp_code;
%nothread pop3_greeting;
%nothread pop3_apop_timestamp;
%nothread pop3_apop_digest;
%nothread pop3_options;
%nothread pop3swig_client_new;
%nothread pop3swig_py_set_trace;
/* Secure and extended sessions: these read what the client holds. */
%nothread pop3_has_capa;
%nothread pop3_capa_arg;
%nothread pop3_has_sasl;
%nothread pop3_capa_line;
%nothread pop3_is_tls;
%nothread pop3_auth_used;
%nothread pop3_is_utf8;
%nothread pop3_error_detail;

/* pop3_codec_sasl is for event-loop clients in C and Lua; pop3.aio does
 * its SASL in Python (_sasl.py), so the Python module leaves it out
 * rather than offer wrappers without typemaps. */
%ignore pop3_codec_sasl_new;
%ignore pop3_codec_sasl_free;
%ignore pop3_codec_sasl_start;
%ignore pop3_codec_sasl_step;
%ignore pop3_codec_sasl_finish;
%ignore pop3_codec_sasl_retry;
%ignore pop3_codec_sasl_name;
%ignore pop3_codec_sasl_detail;

/* ---- string arguments ----
 * str (encoded UTF-8; lone surrogates from undecodable bytes map back to
 * their bytes) or bytes; None is NULL.  An embedded NUL would silently cut
 * the string short in C, so it is refused here. */
%typemap(in) const char * (PyObject *bytes = NULL, int own = 0) {
    char *p = NULL;
    Py_ssize_t n = 0;

    if ($input == Py_None) {
        $1 = NULL;
    } else {
        if (PyUnicode_Check($input)) {
            bytes = PyUnicode_AsEncodedString($input, "utf-8",
                                              "surrogateescape");
            if (!bytes)
                SWIG_fail;
            own = 1;
        } else if (PyBytes_Check($input)) {
            bytes = $input;
            Py_INCREF(bytes);
        } else {
            PyErr_Format(PyExc_TypeError,
                         "argument $argnum must be str or bytes, not %.80s",
                         Py_TYPE($input)->tp_name);
            SWIG_fail;
        }
        if (PyBytes_AsStringAndSize(bytes, &p, &n) < 0)
            SWIG_fail;
        if (memchr(p, '\0', (size_t)n)) {
            PyErr_SetString(PyExc_ValueError,
                            "argument $argnum contains a NUL character");
            SWIG_fail;
        }
        $1 = p;
    }
}
%typemap(freearg) const char * {
    /* The UTF-8 copy made from a str above is ours alone: wipe it before
     * Python frees it, as it may be a password.  (A bytes argument is
     * the caller's, and a shared object is never written.) */
    if (own$argnum && Py_REFCNT(bytes$argnum) == 1) {
        void *(*volatile wipe)(void *, int, size_t) = memset;
        wipe(PyBytes_AS_STRING(bytes$argnum), 0,
             (size_t)PyBytes_GET_SIZE(bytes$argnum));
    }
    Py_XDECREF(bytes$argnum);
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_STRING) const char * {
    $1 = ($input == Py_None || PyUnicode_Check($input) ||
          PyBytes_Check($input));
}

/* ---- output parameters (the contract in pop3_core.i) ----
 * Each appends one value to the result, None when the call failed. */
%typemap(argout) pop3_client **client_out {
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK ? SWIG_NewPointerObj(*$1, $*1_descriptor, 0)
                          : SWIG_Py_Void());
}
%typemap(argout) (const char **data_out, size_t *len_out) {
    /* The one copy of a chunk: out of the client's buffer, into bytes. */
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK && *$1
            ? PyBytes_FromStringAndSize(*$1, (Py_ssize_t)*$2)
            : SWIG_Py_Void());
}
%typemap(argout) const char **uid_out {
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK && *$1
            ? PyUnicode_DecodeUTF8(*$1, (Py_ssize_t)strlen(*$1),
                                   "surrogateescape")
            : SWIG_Py_Void());
}
%typemap(argout) uint64_t *count_out, uint64_t *size_out {
    $result = SWIG_Python_AppendOutput($result,
        PyLong_FromUnsignedLongLong((unsigned long long)*$1));
}
%typemap(argout) unsigned int *msg_out {
    $result = SWIG_Python_AppendOutput($result,
        PyLong_FromUnsignedLong((unsigned long)*$1));
}
%typemap(argout) char *hex_out {
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK ? PyUnicode_FromString($1) : SWIG_Py_Void());
}

/* ---- many messages at once (pipelining) ----
 * The message numbers come as one Python sequence of ints (any length,
 * each 0..2**32-1; the C library refuses 0 itself); the per-message
 * results go back as lists of the same length.  The arrays live only for
 * the call: the C library copies the numbers it keeps. */
%{
#include <limits.h>
#include <stdlib.h>
#include "pop3/pop3.h"

/* A sequence of ints as a malloc'd unsigned int array (at least one
 * element allocated, so an empty sequence is not a NULL pointer that
 * would read as "no argument").  Returns -1 with a Python exception. */
static int pop3swig_py_msgs(PyObject *obj, unsigned int **out, size_t *n_out)
{
    PyObject *seq = PySequence_Fast(obj, "message numbers must be a "
                                         "sequence of ints");
    Py_ssize_t n, i;
    unsigned int *v;

    *out = NULL;
    *n_out = 0;
    if (!seq)
        return -1;
    n = PySequence_Fast_GET_SIZE(seq);
    v = (unsigned int *)malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        unsigned long x;

        if (!PyLong_Check(item) || PyBool_Check(item)) {
            PyErr_Format(PyExc_TypeError, "message number must be an int, "
                         "not %.80s", Py_TYPE(item)->tp_name);
            break;
        }
        x = PyLong_AsUnsignedLong(item);
        if (PyErr_Occurred() || x > UINT_MAX) {
            PyErr_Clear();
            PyErr_SetString(PyExc_OverflowError,
                            "message number out of range");
            break;
        }
        v[i] = (unsigned int)x;
    }
    Py_DECREF(seq);
    if (i < n) {
        free(v);
        return -1;
    }
    *out = v;
    *n_out = (size_t)n;
    return 0;
}

static PyObject *pop3swig_py_status_list(const pop3_status *v, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    size_t i;

    for (i = 0; list && i < n; i++) {
        PyObject *x = PyLong_FromLong((long)v[i]);
        if (!x) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    return list;
}
%}

%typemap(in) (const unsigned int *msgs, size_t count)
    (unsigned int *arr = NULL) {
    if (pop3swig_py_msgs($input, &arr, &$2) < 0)
        SWIG_fail;
    $1 = arr;
}
%typemap(freearg) (const unsigned int *msgs, size_t count) {
    free(arr$argnum);
}

/* pop3_dele_many: (msgs) -> [status, [result per message]] */
%typemap(in) (const unsigned int *msgs, size_t count,
              pop3_status *results_out)
    (unsigned int *arr = NULL, pop3_status *res = NULL) {
    if (pop3swig_py_msgs($input, &arr, &$2) < 0)
        SWIG_fail;
    res = (pop3_status *)calloc($2 ? $2 : 1, sizeof *res);
    if (!res) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $1 = arr;
    $3 = res;
}
%typemap(argout) (const unsigned int *msgs, size_t count,
                  pop3_status *results_out) {
    PyObject *list = pop3swig_py_status_list($3, $2);
    if (!list)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, list);
}
%typemap(freearg) (const unsigned int *msgs, size_t count,
                   pop3_status *results_out) {
    free(arr$argnum);
    free(res$argnum);
}

/* pop3_list_many: (msgs) -> [status, [size...], [result...]] */
%typemap(in) (const unsigned int *msgs, size_t count, uint64_t *sizes_out,
              pop3_status *results_out)
    (unsigned int *arr = NULL, uint64_t *sz = NULL, pop3_status *res = NULL) {
    if (pop3swig_py_msgs($input, &arr, &$2) < 0)
        SWIG_fail;
    sz = (uint64_t *)calloc($2 ? $2 : 1, sizeof *sz);
    res = (pop3_status *)calloc($2 ? $2 : 1, sizeof *res);
    if (!sz || !res) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $1 = arr;
    $3 = sz;
    $4 = res;
}
%typemap(argout) (const unsigned int *msgs, size_t count, uint64_t *sizes_out,
                  pop3_status *results_out) {
    PyObject *sizes = PyList_New((Py_ssize_t)$2), *list;
    size_t i;

    for (i = 0; sizes && i < $2; i++) {
        PyObject *x = PyLong_FromUnsignedLongLong((unsigned long long)$3[i]);
        if (!x) {
            Py_CLEAR(sizes);
            break;
        }
        PyList_SET_ITEM(sizes, (Py_ssize_t)i, x);
    }
    if (!sizes)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, sizes);
    list = pop3swig_py_status_list($4, $2);
    if (!list)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, list);
}
%typemap(freearg) (const unsigned int *msgs, size_t count, uint64_t *sizes_out,
                   pop3_status *results_out) {
    free(arr$argnum);
    free(sz$argnum);
    free(res$argnum);
}

%typemap(argout) NX_PACKET **packet_out {
    $result = SWIG_Python_AppendOutput($result,
        result == NX_SUCCESS ? SWIG_NewPointerObj(*$1, $*1_descriptor, 0)
                             : SWIG_Py_Void());
}

/* ---- pop3_codec, the engine for event loops (pop3.aio) ----
 * Its calls never block: keep the GIL.  Input is any bytes-like object,
 * binary-safe; each output appends one value (None when the call failed,
 * or when an event has no span). */
%nothread pop3_codec_new;
%nothread pop3_codec_free;
%nothread pop3_codec_expect;
%nothread pop3_codec_feed;
%nothread pop3_codec_next;
%nothread pop3_codec_resp_code;
%nothread pop3_codec_pending;
%nothread pop3_codec_expected;
%nothread pop3_codec_format;
%nothread pop3_resp_code_status;
%nothread pop3_apop_stamp;
%typemap(in) (const char *input, size_t input_len)
    (Py_buffer view, int have_view = 0) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) < 0)
        SWIG_fail;
    have_view = 1;
    $1 = (char *)view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const char *input, size_t input_len) {
    if (have_view$argnum)
        PyBuffer_Release(&view$argnum);
}
%typemap(in, numinputs=0) pop3_codec **codec_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%typemap(argout) pop3_codec **codec_out {
    /* OWNED: pop3.aio frees it with pop3_codec_free. */
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK ? SWIG_NewPointerObj(*$1, $*1_descriptor, 0)
                          : SWIG_Py_Void());
}
%typemap(in, numinputs=0) size_t *taken_out (size_t temp) {
    temp = 0;
    $1 = &temp;
}
%typemap(argout) size_t *taken_out {
    $result = SWIG_Python_AppendOutput($result,
        PyLong_FromSize_t(*$1));
}
%typemap(in, numinputs=0) pop3_codec_event *event_out ($*1_ltype temp) {
    temp = POP3_CODEC_NEED_MORE;
    $1 = &temp;
}
%typemap(argout) pop3_codec_event *event_out {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromLong((long)*$1));
}
%typemap(in, numinputs=0) (char *line_out, size_t *len_out)
    (char temp[POP3_CODEC_LINE_MAX], size_t ltemp) {
    temp[0] = '\0';
    ltemp = 0;
    $1 = temp;
    $2 = &ltemp;
}
%typemap(argout) (char *line_out, size_t *len_out) {
    $result = SWIG_Python_AppendOutput($result,
        result == POP3_OK
            ? PyBytes_FromStringAndSize($1, (Py_ssize_t)*$2)
            : SWIG_Py_Void());
    /* It may have held a password.  Through a volatile pointer, since
     * a plain memset of a dying local may be dropped as a dead store. */
    {
        void *(*volatile wipe)(void *, int, size_t) = memset;
        wipe($1, 0, POP3_CODEC_LINE_MAX);
    }
}

%include "pop3_core.i"
/* The NetX-style API, for pop3.netx. */
%nothread nxswig_address_set;
%nothread nxswig_packet_data;
%include "nx_core.i"

/* ---- the trace hook ----
 * The callback runs inside a blocking call, with the GIL released: take
 * it back for the call.  An exception in the callback cannot cross the C
 * library, so it is reported as unraisable and the session goes on. */
%{
static void pop3swig_py_trace(void *ctx, pop3_trace_dir dir,
                              const char *line, size_t len)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *text = PyBytes_FromStringAndSize(line, (Py_ssize_t)len);
    PyObject *r = NULL;

    if (text)
        r = PyObject_CallFunction((PyObject *)ctx, "iO", (int)dir, text);
    if (!r)
        PyErr_WriteUnraisable((PyObject *)ctx);
    Py_XDECREF(r);
    Py_XDECREF(text);
    PyGILState_Release(gil);
}
%}

%inline %{
/* Set (or with None, clear) the trace hook of `opts`.  The callable is
 * BORROWED: the caller keeps a reference for as long as any client made
 * from these options lives. */
static void pop3swig_py_set_trace(pop3_options *opts, PyObject *fn)
{
    if (fn == Py_None) {
        opts->trace = NULL;
        opts->trace_ctx = NULL;
    } else {
        opts->trace = pop3swig_py_trace;
        opts->trace_ctx = fn;
    }
}
%}
