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
%nothread pop3_options_init;
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

/* ---- string arguments ----
 * str (encoded UTF-8; lone surrogates from undecodable bytes map back to
 * their bytes) or bytes; None is NULL.  An embedded NUL would silently cut
 * the string short in C, so it is refused here. */
%typemap(in) const char * (PyObject *bytes = NULL) {
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
    memset($1, 0, POP3_CODEC_LINE_MAX); /* it may have held a password */
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
