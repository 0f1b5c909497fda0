"""Lambent's Python runtime for python3.x: run as `python3 bootstrap.py` inside an execution environment
with the Lambda environment variables set (see README.md). Loads _HANDLER ("package/module.function")
from LAMBDA_TASK_ROOT once, then loops on the Runtime API at AWS_LAMBDA_RUNTIME_API with the behaviour of
AWS's Python runtime (awslambdaric): the LambdaContext object, the logging module's
"[LEVEL]\\t<time>\\t<request id>\\t<message>" records (print() stays plain), AWS_LAMBDA_LOG_FORMAT=JSON,
AWS_LAMBDA_LOG_LEVEL, error payloads {errorMessage, errorType, requestId, stackTrace}, and init errors
posted to /runtime/init/error.

Standard library only, nothing imported from the server. The file must stay named bootstrap.py: its frames
are cut from stack traces by that name, as AWS's runtime does.
"""

import decimal
import json
import logging
import math
import os
import signal
import socket
import sys
import time

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_IDENT = "\u00a0"  # NO-BREAK SPACE: keeps the traceback's indentation in CloudWatch
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"

_JSON_FRAME_TYPES = {
    logging.NOTSET: 0xA55A0002.to_bytes(4, "big"),
    logging.DEBUG: 0xA55A000A.to_bytes(4, "big"),
    logging.INFO: 0xA55A000E.to_bytes(4, "big"),
    logging.WARNING: 0xA55A0012.to_bytes(4, "big"),
    logging.ERROR: 0xA55A0016.to_bytes(4, "big"),
    logging.CRITICAL: 0xA55A001A.to_bytes(4, "big"),
}
_TEXT_FRAME_TYPES = {
    logging.NOTSET: 0xA55A0003.to_bytes(4, "big"),
    logging.DEBUG: 0xA55A000B.to_bytes(4, "big"),
    logging.INFO: 0xA55A000F.to_bytes(4, "big"),
    logging.WARNING: 0xA55A0013.to_bytes(4, "big"),
    logging.ERROR: 0xA55A0017.to_bytes(4, "big"),
    logging.CRITICAL: 0xA55A001B.to_bytes(4, "big"),
}
_DEFAULT_FRAME_TYPE = _TEXT_FRAME_TYPES[logging.NOTSET]

LAMBDA_UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: "
    "Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

_JSON_FORMAT = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
_raw_level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
_LOG_LEVEL = {None: "", "TRACE": "DEBUG"}.get(_raw_level, _raw_level or "").upper()
_EXECUTION_ENV = os.environ.get("AWS_EXECUTION_ENV", "")


def _python_version_of_runtime():
    try:
        return tuple(int(x) for x in _EXECUTION_ENV.rpartition("python")[2].split(".")[:2])
    except ValueError:
        return sys.version_info[:2]


class FaultException(Exception):
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


# --- JSON ------------------------------------------------------------------------------------------


def _ensure_ascii():
    # python3.12 and later answer with UTF-8 text; earlier runtimes escape non-ASCII characters.
    return _python_version_of_runtime() < (3, 12)


class _Encoder(json.JSONEncoder):
    def __init__(self):
        super().__init__(ensure_ascii=_ensure_ascii())

    def default(self, obj):
        # AWS's runtime writes Decimals as numbers; the standard library cannot emit raw number text, so
        # integral values stay exact and the rest go through float.
        if isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return math.nan
            if obj == obj.to_integral_value():
                return int(obj)
            return float(obj)
        return super().default(obj)


_encoder = _Encoder()


def to_json(obj):
    return _encoder.encode(obj)


def unmarshal_request(body, content_type):
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(str(e)), None)


def marshal_response(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return _encoder.encode(response).encode("utf-8"), "application/json"
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(str(e)), None)


# --- Runtime API client ------------------------------------------------------------------------------


# Lambent's own way in where the platform provides it: the Runtime API's unix socket bound into the
# sandbox, which skips the relay carrying AWS_LAMBDA_RUNTIME_API's port into the sandbox's network
# namespace (one hop less per call).
RUNTIME_SOCKET = "/var/rapid/runtime.sock"


class RuntimeClient:
    """HTTP/1.1 over one keep-alive socket; a response POST and the next GET leave together."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host.strip("[]"), int(port))
        self.host_header = address.encode("latin-1")
        self.socket_path = RUNTIME_SOCKET if os.path.exists(RUNTIME_SOCKET) else None
        self.sock = None
        self.buf = b""

    def _socket(self):
        if self.sock is None:
            if self.socket_path:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.socket_path)
            else:
                sock = socket.create_connection(self.address)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            self.buf = b""
        return self.sock

    def _send(self, data):
        try:
            self._socket().sendall(data)
        except OSError:
            self.sock = None
            raise

    def _get_next_bytes(self):
        return b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: " + self.host_header + b"\r\n\r\n"

    def _post_bytes(self, path, headers, body):
        head = "POST {} HTTP/1.1\r\nHost: {}\r\n{}Content-Length: {}\r\n\r\n".format(
            path, self.host_header.decode("latin-1"), headers, len(body)
        )
        return head.encode("latin-1") + body

    def _recv(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            self.sock = None
            raise ConnectionError("Runtime API connection closed")
        self.buf += chunk

    def _read_response(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end != -1:
                break
            self._recv()
        head = self.buf[:end].decode("utf-8", "replace").split("\r\n")
        self.buf = self.buf[end + 4 :]
        status = int(head[0].split(" ")[1])
        headers = {}
        for line in head[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length", "0"))
            while len(self.buf) < length:
                self._recv()
            body, self.buf = self.buf[:length], self.buf[length:]
        if 100 <= status < 200:
            return self._read_response()
        return status, headers, body

    def _read_chunked(self):
        parts = []
        while True:
            while b"\r\n" not in self.buf:
                self._recv()
            line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while True:  # trailers, up to an empty line
                    while b"\r\n" not in self.buf:
                        self._recv()
                    line, self.buf = self.buf.split(b"\r\n", 1)
                    if not line:
                        return b"".join(parts)
            while len(self.buf) < size + 2:
                self._recv()
            parts.append(self.buf[:size])
            self.buf = self.buf[size + 2 :]

    def _check_next(self, status, headers, body):
        if status != 200:
            raise RuntimeError("Failed to get next invocation, HTTP {}: {}".format(status, body.decode("utf-8", "replace").strip()))
        return body, headers

    def wait_next_invocation(self):
        self._send(self._get_next_bytes())
        return self._check_next(*self._read_response())

    def post_and_wait_next(self, post_bytes):
        """Posts a result and asks for the next invocation in one write; returns the next invocation."""
        self._send(post_bytes + self._get_next_bytes())
        self._read_response()  # 202, or an error the runtime cannot do anything about
        return self._check_next(*self._read_response())

    def result_bytes(self, invoke_id, body, content_type):
        return self._post_bytes(
            "/2018-06-01/runtime/invocation/{}/response".format(_quote(invoke_id)),
            "Content-Type: {}\r\n".format(content_type),
            body,
        )

    def error_bytes(self, invoke_id, error_json, error_type):
        return self._post_bytes(
            "/2018-06-01/runtime/invocation/{}/error".format(_quote(invoke_id)),
            _error_headers(error_type),
            error_json.encode("utf-8"),
        )

    def post_init_error(self, error_json, error_type):
        self._send(self._post_bytes("/2018-06-01/runtime/init/error", _error_headers(error_type), error_json.encode("utf-8")))
        status, _, body = self._read_response()
        if status != 202:
            raise RuntimeError(
                "Request to Lambda Runtime '/2018-06-01/runtime/init/error' endpoint failed. Reason: '{}'. Response body: '{}'".format(
                    status, body
                )
            )


def _quote(value):
    from urllib.parse import quote

    return quote(value, safe="")


def _error_headers(error_type):
    headers = "Content-Type: application/json\r\n"
    if error_type:
        headers += "Lambda-Runtime-Function-Error-Type: {}\r\n".format(str(error_type).replace("\r", " ").replace("\n", " "))
    return headers


# --- context -----------------------------------------------------------------------------------------


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}"
            "])"
        )


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"installation_id={self.installation_id},"
            f"app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}"
            "])"
        )


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return f"{self.__class__.__name__}([custom={self.custom},env={self.env},client={self.client}])"


def make_obj_from_dict(_class, _dict):
    if _dict is None:
        return None
    obj = _class()
    for field in obj.__class__.__slots__:
        setattr(obj, field, _dict.get(field, None))
    return obj


class LambdaContext(object):
    def __init__(self, invoke_id, client_context, cognito_identity, epoch_deadline_time_in_ms, invoked_function_arn=None, tenant_id=None):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = {}
        if isinstance(client_context, dict) and "w3c" in client_context:
            raw = client_context.pop("w3c")
            if isinstance(raw, dict):
                self._w3c_fields = {k: raw[k] for k in ("traceparent", "tracestate", "baggage") if isinstance(raw.get(k), str)}
        self.client_context = make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = make_obj_from_dict(Client, self.client_context.client)
        self.identity = make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def w3c(self):
        return dict(self._w3c_fields)

    def log(self, msg):
        for handler in logging.getLogger().handlers:
            if hasattr(handler, "log_sink"):
                handler.log_sink.log(str(msg))
                return
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


def parse_json_header(header, name):
    try:
        return json.loads(header)
    except Exception as e:
        raise FaultException(FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, str(e)), None)


# --- logging -----------------------------------------------------------------------------------------

_GLOBAL_AWS_REQUEST_ID = None
_GLOBAL_TENANT_ID = None

_RESERVED_FIELDS = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "aws_request_id", "tenant_id", "_frame_type", "taskName",
}


def _format_log_level(record):
    return min(50, max(0, record.levelno)) // 10 * 10


class JsonFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(datefmt=_DATETIME_FORMAT)

    def formatTime(self, record, datefmt=None):
        return time.strftime(_DATETIME_FORMAT, time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)

    def format(self, record):
        import traceback

        record.levelno = _format_log_level(record)
        record.levelname = logging.getLevelName(record.levelno)
        record._frame_type = _JSON_FRAME_TYPES.get(record.levelno, _JSON_FRAME_TYPES[logging.NOTSET])
        exc_info = record.exc_info
        result = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc_info else None,
        }
        if getattr(record, "tenant_id", None) is not None:
            result["tenantId"] = record.tenant_id
        result.update((k, v) for k, v in record.__dict__.items() if k not in _RESERVED_FIELDS and k not in result)
        result = {k: v for k, v in result.items() if v is not None}
        return json.dumps(result, ensure_ascii=False, default=str) + "\n"


class LambdaLoggerHandler(logging.Handler):
    def __init__(self, log_sink, with_frame_type):
        logging.Handler.__init__(self)
        self.log_sink = log_sink
        self.with_frame_type = with_frame_type

    def emit(self, record):
        msg = self.format(record)
        if self.with_frame_type:
            frame_type = getattr(record, "_frame_type", None) or _TEXT_FRAME_TYPES.get(_format_log_level(record))
            self.log_sink.log(msg, frame_type=frame_type)
        else:
            self.log_sink.log(msg)


class LambdaLoggerFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _GLOBAL_AWS_REQUEST_ID or ""
        record.tenant_id = _GLOBAL_TENANT_ID
        return True


class Unbuffered(object):
    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


class StandardLogSink(object):
    """Records go to stdout as they are (a multi-line logging message spans lines, as on Lambda's stdout)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def log(self, msg, frame_type=None):
        sys.stdout.write(msg)

    def log_error(self, message_lines):
        sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(message_lines) + "\n")


class FramedTelemetryLogSink(object):
    """Lambda's telemetry framing: type (4 bytes) | length (4) | timestamp in µs (8) | message, big-endian."""

    def __init__(self, fd):
        self.fd = int(fd)

    def __enter__(self):
        self.file = os.fdopen(self.fd, "wb", 0)
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        self.file.close()

    def log(self, msg, frame_type=None):
        encoded = msg.encode("utf8")
        timestamp = int(time.time_ns() / 1000)
        self.file.write((frame_type or _DEFAULT_FRAME_TYPE) + len(encoded).to_bytes(4, "big") + timestamp.to_bytes(8, "big") + encoded)

    def log_error(self, message_lines):
        frame = (_JSON_FRAME_TYPES if _JSON_FORMAT else _TEXT_FRAME_TYPES)[logging.ERROR]
        self.log("\n".join(message_lines), frame_type=frame)


def create_log_sink():
    if "_LAMBDA_TELEMETRY_LOG_FD" in os.environ:
        fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD")
        return FramedTelemetryLogSink(fd)
    return StandardLogSink()


def _setup_logging(log_sink):
    logging.Formatter.converter = time.gmtime
    logger = logging.getLogger()
    handler = LambdaLoggerHandler(log_sink, with_frame_type=_JSON_FORMAT or bool(_LOG_LEVEL))
    if _JSON_FORMAT:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                _DATETIME_FORMAT,
            )
        )
    if _LOG_LEVEL in logging._nameToLevel:
        logger.setLevel(_LOG_LEVEL)
    handler.addFilter(LambdaLoggerFilter())
    logger.addHandler(handler)


def replace_line_indentation(line, indent_char, new_indent_char):
    count = len(line) - len(line.lstrip(indent_char))
    return (new_indent_char * count) + line[count:]


def log_error(error_result, log_sink):
    if _JSON_FORMAT:
        record = {"timestamp": time.strftime(_DATETIME_FORMAT, time.gmtime(time.time())), "level": "ERROR", **error_result}
        log_sink.log_error([to_json(record)])
        return
    description = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        description += " " + error_type
    error_message = error_result.get("errorMessage")
    if error_message:
        if error_type:
            description += ":"
        description += " " + error_message
    lines = [description]
    stack_trace = error_result.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
            else:
                for trace_line in element.splitlines():
                    lines.append(replace_line_indentation(trace_line, " ", ERROR_LOG_IDENT))
    log_sink.log_error(lines)


# --- errors and the handler ------------------------------------------------------------------------


# python3.8's runtime (Amazon Linux 2, an older runtime client) leaves requestId out of error payloads.
_ERRORS_HAVE_REQUEST_ID = _python_version_of_runtime() >= (3, 9)


def make_error(error_message, error_type, stack_trace, invoke_id=None):
    result = {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }
    if not _ERRORS_HAVE_REQUEST_ID:
        del result["requestId"]
    return result


def _user_frames(tb):
    """The traceback's frames from the first one outside this file on."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i in range(len(frames)):
        if "/bootstrap.py" not in frames[i][0]:
            return frames[i:]
    return frames


def build_fault_result(exc_info, msg):
    import traceback

    etype, value, tb = exc_info
    return make_error(msg if msg else str(value), etype.__name__, traceback.format_list(_user_frames(tb)))


def _get_handler(handler):
    import importlib

    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, str(e)))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        m = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, str(e)))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '{}': {}".format(modname, str(e)),
            trace,
        )
    try:
        return getattr(m, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND,
            "Handler '{}' missing on module '{}'".format(fname, modname),
            None,
        )


def handle_event_request(client, request_handler, invoke_id, body, headers, log_sink):
    """Runs one invocation; returns the bytes of the POST that answers it."""
    error_result = None
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(
            invoke_id,
            parse_json_header(client_context, "Client Context") if client_context else None,
            parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-aws-tenant-id"),
        )
        event = unmarshal_request(body, headers.get("content-type", "application/json"))
        response = request_handler(event, context)
        result, content_type = marshal_response(response)
    except FaultException as e:
        error_result = make_error(e.msg, e.exception_type, e.trace, invoke_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        import traceback

        error_result = make_error(str(value), etype.__name__, traceback.format_list(_user_frames(tb)), invoke_id)
    if error_result is not None:
        log_error(error_result, log_sink)
        return client.error_bytes(invoke_id, to_json(error_result), error_result["errorType"])
    return client.result_bytes(invoke_id, result, content_type)


def _setup_sys_path():
    # As on Lambda: the function's code first, then the layers, then the runtime's own path (PYTHONPATH).
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    version = "python{}.{}".format(sys.version_info.major, sys.version_info.minor)
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path[1:] if p != here] if sys.path and sys.path[0] == here else sys.path[:]
    sys.path[:] = [task_root, "/opt/python/lib/{}/site-packages".format(version), "/opt/python"] + rest


def _quiet_signals():
    # SIGINT and SIGTERM end the runtime without a word: python's KeyboardInterrupt traceback
    # would otherwise land in the function's log (or the server's terminal) when a sandbox is
    # stopped. A handler may still install its own handlers.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def main():
    global _GLOBAL_AWS_REQUEST_ID, _GLOBAL_TENANT_ID
    _quiet_signals()
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    _setup_sys_path()
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])

    with create_log_sink() as log_sink:
        try:
            _setup_logging(log_sink)
            request_handler = _get_handler(os.environ.get("_HANDLER", ""))
        except Exception as e:
            if isinstance(e, FaultException):
                error_result = make_error(e.msg, e.exception_type, e.trace)
            else:
                error_result = build_fault_result(sys.exc_info(), None)
            logging.warning(LAMBDA_UNHANDLED_EXCEPTION_WARNING)
            log_error(error_result, log_sink)
            client.post_init_error(to_json(error_result), error_result["errorType"])
            sys.exit(1)

        body, headers = client.wait_next_invocation()
        while True:
            invoke_id = headers.get("lambda-runtime-aws-request-id")
            _GLOBAL_AWS_REQUEST_ID = invoke_id
            _GLOBAL_TENANT_ID = headers.get("lambda-runtime-aws-tenant-id")
            trace_id = headers.get("lambda-runtime-trace-id")
            if trace_id is not None:
                os.environ["_X_AMZN_TRACE_ID"] = trace_id
            elif "_X_AMZN_TRACE_ID" in os.environ:
                del os.environ["_X_AMZN_TRACE_ID"]
            answer = handle_event_request(client, request_handler, invoke_id, body, headers, log_sink)
            body, headers = client.post_and_wait_next(answer)


if __name__ == "__main__":
    main()
