"""Validating admission webhooks, called as kube-apiserver calls them (stdlib only).

The API test server stores ValidatingWebhookConfiguration objects (admissionregistration.k8s.io/v1)
like any other object; a create on its API port runs every webhook whose rules, namespaceSelector
and objectSelector match, as the real API server does after defaulting and before storage:

- POST of an AdmissionReview (admission.k8s.io/v1) to clientConfig.url with "?timeout=Ns" appended,
  over HTTPS verified against clientConfig.caBundle (the URL's host must be in the certificate),
  within timeoutSeconds (default 10);
- a webhook whose sideEffects is not None/NoneOnDryRun is not called for a dry run: the request
  fails instead (400), as the real server refuses it;
- a call that fails (refused, TLS, timeout, non-200, an answer that is not an AdmissionReview v1
  or whose response.uid is not the request's) is an error under failurePolicy Fail (the default:
  500 "failed calling webhook") and skipped under Ignore;
- a refusal becomes the Status the client sees: 'admission webhook "NAME" denied the request: MESSAGE',
  with the response's code (at least 400; 403 when the webhook gives none, as kubectl shows);
- warnings become "Warning: 299 - ..." headers.
Not done: clientConfig.service (only url), matchConditions, matchPolicy Equivalent, reinvocation.
"""

import base64
import http.client
import json
import ssl
import urllib.parse
import uuid


class WebhookFailure(Exception):
    pass


def selector_matches(selector, labels):
    """metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist).
    Absent or empty selects everything."""
    if not selector:
        return True
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _listed(items, value):
    return "*" in (items or []) or value in (items or [])


def rule_matches(rule, operation, resource, subresource=""):
    if not _listed(rule.get("operations"), operation):
        return False
    if not _listed(rule.get("apiGroups"), resource.group) or not _listed(rule.get("apiVersions"), resource.version):
        return False
    wanted = resource.plural + ("/" + subresource if subresource else "")
    names = rule.get("resources") or []
    matched = wanted in names or "*/*" in names or (not subresource and "*" in names) or \
        (subresource and f"{resource.plural}/*" in names) or (subresource and f"*/{subresource}" in names)
    if not matched:
        return False
    scope = rule.get("scope", "*")
    return scope == "*" or (scope == "Namespaced") == resource.namespaced


def review_for(resource, namespace, obj, old, operation, dry_run, user):
    """The AdmissionReview the real API server sends (admission.k8s.io/v1)."""
    gvk = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    gvr = {"group": resource.group, "version": resource.version, "resource": resource.plural}
    options_kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}.get(operation)
    request = {
        "uid": str(uuid.uuid4()),
        "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
        "name": (obj or old or {}).get("metadata", {}).get("name", ""),
        "operation": operation,
        "userInfo": user,
        "object": obj,
        "oldObject": old,
        "dryRun": bool(dry_run),
        "options": {"kind": options_kind, "apiVersion": "meta.k8s.io/v1"} if options_kind else None,
    }
    if resource.namespaced:
        request["namespace"] = namespace
    return {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": request}


def call(webhook, review):
    """POSTs the review; returns its `response`, or raises WebhookFailure saying why."""
    client = webhook.get("clientConfig") or {}
    url = client.get("url")
    if not url:
        raise WebhookFailure("clientConfig.service is not supported by the API test server: give clientConfig.url")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https":
        raise WebhookFailure(f"webhook URL {url} must use https")
    timeout = int(webhook.get("timeoutSeconds") or 10)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    bundle = client.get("caBundle")
    if bundle:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=base64.b64decode(bundle).decode())
    path = (parsed.path or "/") + ("?" + parsed.query + "&" if parsed.query else "?") + f"timeout={timeout}s"
    body = json.dumps(review).encode()
    connection = http.client.HTTPSConnection(parsed.hostname, parsed.port or 443, context=context, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "Accept": "application/json, */*", "User-Agent": "kube-apiserver-admission"})
        answer = connection.getresponse()
        data = answer.read()
    except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
        raise WebhookFailure(f'failed to call webhook: Post "{url}?timeout={timeout}s": {exc}') from exc
    finally:
        connection.close()
    if answer.status != 200:
        raise WebhookFailure(f"failed to call webhook: the server responded with status {answer.status}: {data[:200]!r}")
    try:
        parsed_review = json.loads(data)
    except ValueError as exc:
        raise WebhookFailure(f"failed to decode the webhook's answer: {exc}") from exc
    if parsed_review.get("apiVersion") != "admission.k8s.io/v1" or parsed_review.get("kind") != "AdmissionReview":
        raise WebhookFailure("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
                             f"{parsed_review.get('apiVersion')}, Kind={parsed_review.get('kind')}")
    response = parsed_review.get("response")
    if not isinstance(response, dict):
        raise WebhookFailure("webhook response was absent")
    uid = review["request"]["uid"]
    if response.get("uid") != uid:
        raise WebhookFailure(f'expected response.uid="{uid}", got "{response.get("uid")}"')
    return response


def admit(configurations, resource, namespace, namespace_labels, obj, old, operation, dry_run, user, log=None):
    """Runs the matching webhooks in order (configurations by name, then their webhooks).
    Returns (error, warnings): error None to go on, else (code, message, reason)."""
    warnings = []
    labels = ((obj or old or {}).get("metadata") or {}).get("labels") or {}
    for configuration in sorted(configurations, key=lambda c: c["metadata"]["name"]):
        for webhook in configuration.get("webhooks") or []:
            name = webhook.get("name", "")
            if not any(rule_matches(rule, operation, resource) for rule in webhook.get("rules") or []):
                continue
            if resource.namespaced and not selector_matches(webhook.get("namespaceSelector"), namespace_labels):
                continue
            if not selector_matches(webhook.get("objectSelector"), labels):
                continue
            if dry_run and webhook.get("sideEffects") not in ("None", "NoneOnDryRun"):
                return (400, f'admission webhook "{name}" does not support dry run', "BadRequest"), warnings
            review = review_for(resource, namespace, obj, old, operation, dry_run, user)
            try:
                response = call(webhook, review)
            except WebhookFailure as exc:
                if log:
                    log(f"webhook {name}: {exc} (failurePolicy {webhook.get('failurePolicy', 'Fail')})")
                if webhook.get("failurePolicy", "Fail") == "Ignore":
                    continue
                return (500, f'Internal error occurred: failed calling webhook "{name}": {exc}', "InternalError"), warnings
            warnings += [str(w) for w in response.get("warnings") or []]
            if not response.get("allowed"):
                status = response.get("status") or {}
                code = status.get("code") or 403
                code = code if code >= 400 else 400
                denied = f'admission webhook "{name}" denied the request'
                message = status.get("message") or status.get("reason")
                text = f"{denied}: {message}" if message else f"{denied} without explanation"
                return (code, text, status.get("reason") or ("Forbidden" if code == 403 else "BadRequest")), warnings
    return None, warnings
