"""OpenAPI schema additions shared by every operation (a drf-spectacular postprocessing hook).

Every operation can answer with the shared error body ``{"code", "message", "details"}``: bad
input (400), authentication (401) and permission (403) failures, unknown ids (404), state clashes
(409), a body too large (413) or in a content type or charset we do not read (415), rate limits
(429) and overload or a database outage (503). Views document their success
responses (and, through ``market.api.ErrorResponses``, the errors they expect, with their own
descriptions but this same body); this hook documents the rest once, so clients (and the schema
fuzz test) know them all.
"""

from __future__ import annotations

ERROR_COMPONENT = "Error"
ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable, machine-readable error code."},
        "message": {"type": "string", "description": "Human-readable explanation."},
        "details": {"type": "object", "additionalProperties": True, "description": "Per-field errors, limits."},
    },
    "required": ["code", "message"],
}

ERROR_RESPONSES = {
    "400": "The request is invalid.",
    "401": "Authentication is required or failed.",
    "403": "Not allowed for this user.",
    "404": "Not found.",
    "409": "The resource is not in a state that allows this.",
    "413": "The request body is larger than the server accepts (MAX_REQUEST_BODY_BYTES).",
    "415": "Unsupported content type, or a charset other than UTF-8.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
    "503": "Overloaded or the database is unavailable; retry after the Retry-After header's seconds.",
}

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def add_error_responses(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    ref = {"$ref": ERROR_REF}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
