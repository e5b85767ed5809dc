"""The REST surface and pages a spec gets when it names only its data: standard endpoints per entity.

An entity with a password field is an account: it is registered (and, with token auth, logs in), never
listed. Every other entity gets list (with ?q= search over its searchable fields), create, get, update
and delete under /api/<table>. With token auth every such endpoint needs a token; owned rows (the
default) are visible only to their owner, another user's row answering 404 as if it did not exist, and
a public entity's rows are seen by all but changed or deleted only by their creator (403).
"""

from __future__ import annotations

from aigc.project.spec import Action, ActionSpec, AppSpec, EndpointSpec, EntitySpec, ErrorCase, Method, PageSpec


def with_standard_parts(spec: AppSpec) -> AppSpec:
    """The spec with standard endpoints and pages where it has none (an OpenAPI spec keeps its own)."""
    endpoints = spec.endpoints or [ep for e in spec.entities for ep in standard_endpoints(spec, e)]
    endpoints = [_with_rule_errors(spec, ep) for ep in endpoints]
    have = {(ep.method, ep.path) for ep in endpoints}
    endpoints += [ep for a in spec.actions if a.code and ("POST", (ep := _action_endpoint(spec, a)).path) not in have]
    pages = spec.pages or [PageSpec(entity=e.name, title=_title(e)) for e in spec.entities]
    return AppSpec.model_validate(
        spec.model_dump()
        | {"endpoints": [ep.model_dump() for ep in endpoints], "pages": [p.model_dump() for p in pages]}
    )


def _action_endpoint(spec: AppSpec, action: ActionSpec) -> EndpointSpec:
    """The endpoint of an action whose code is written: POST on one row, the row answered as it is after."""
    entity = spec.entity(action.entity)
    owned = " (or it belongs to another user)" if entity is not None and entity.owned else ""
    errors = [
        ErrorCase(status=404, kind="not_found", when="no such id" + owned),
        ErrorCase(status=action.refused_status, kind="rule", when="the action is not allowed for this row"),
        *_others_row(spec, entity),
    ]
    if spec.auth.kind == "token":
        errors.append(ErrorCase(status=401, kind="unauthorized", when="no valid token"))
    return EndpointSpec(
        method="POST",
        path=spec.action_path(action),
        action="custom",
        entity=action.entity,
        summary=action.description,
        errors=errors,
        auth_required=spec.auth.kind == "token",
    )


def _with_rule_errors(spec: AppSpec, ep: EndpointSpec) -> EndpointSpec:
    """Create, update and register say which business rules' checks can refuse them, and with what status."""
    if ep.action not in ("create", "update", "register"):
        return ep
    have = {(e.kind, e.when) for e in ep.errors}
    extra = [
        ErrorCase(status=c.status, kind="rule", when=c.rule)
        for c in spec.checks
        if c.entity == ep.entity and ("rule", c.rule) not in have
    ]
    return ep.model_copy(update={"errors": [*ep.errors, *extra]}) if extra else ep


def _others_row(spec: AppSpec, entity: EntitySpec | None) -> list[ErrorCase]:
    """A public entity's row that another user created: seen by all, changed only by its creator."""
    if spec.auth.kind != "token" or entity is None or not entity.public:
        return []
    return [ErrorCase(status=403, kind="forbidden", when="the row belongs to another user")]


def _title(entity: EntitySpec) -> str:
    return entity.description or entity.name


def standard_endpoints(spec: AppSpec, entity: EntitySpec) -> list[EndpointSpec]:
    token = spec.auth.kind == "token"
    unique = [f.name for f in entity.fields if f.unique]
    conflict = [ErrorCase(status=409, kind="conflict", when=f"{', '.join(unique)} already taken")] if unique else []
    invalid = [ErrorCase(status=422, kind="validation", when="the body breaks the field rules")]
    if entity.has_password:
        base = "/api/auth" if token else "/api"
        eps = [
            EndpointSpec(
                method="POST",
                path=f"{base}/register",
                action="register",
                entity=entity.name,
                summary=f"register a {entity.name}",
                success_status=201,
                errors=[*invalid, *conflict],
            )
        ]
        if token:
            unauthorized = ErrorCase(status=401, kind="unauthorized", when="wrong credentials or no valid token")
            eps += [
                EndpointSpec(
                    method="POST",
                    path=f"{base}/login",
                    action="login",
                    entity=entity.name,
                    summary="log in, get a token",
                    errors=[*invalid, unauthorized],
                ),
                EndpointSpec(
                    method="GET",
                    path=f"{base}/me",
                    action="me",
                    entity=entity.name,
                    summary="who the token belongs to",
                    errors=[unauthorized],
                    auth_required=True,
                ),
            ]
        return eps
    base = f"/api/{entity.table}"
    guard = [ErrorCase(status=401, kind="unauthorized", when="no valid token")] if token else []
    missing = [
        ErrorCase(
            status=404,
            kind="not_found",
            when="no such id" + (" (or it belongs to another user)" if entity.owned else ""),
        )
    ]

    def ep(method: Method, path: str, action: Action, status: int, errors: list[ErrorCase]) -> EndpointSpec:
        return EndpointSpec(
            method=method,
            path=path,
            action=action,
            entity=entity.name,
            summary=f"{action} {entity.name}",
            success_status=status,
            errors=[*errors, *guard],
            auth_required=token,
        )

    return [
        ep("GET", base, "list", 200, []),
        ep("POST", base, "create", 201, [*invalid, *conflict]),
        ep("GET", f"{base}/{{id}}", "get", 200, missing),
        ep("PUT", f"{base}/{{id}}", "update", 200, [*missing, *invalid, *conflict, *_others_row(spec, entity)]),
        ep("DELETE", f"{base}/{{id}}", "delete", 204, [*missing, *_others_row(spec, entity)]),
    ]
