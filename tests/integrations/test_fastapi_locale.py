"""FastAPI: the customer's language per request, from Accept-Language (issue 10.7).

FastAPI validates the body before the endpoint runs, so no validation context can carry the
request's language; an exception handler renders maildiag's messages again in the locale the
request prefers (maildiag.messages.negotiate + maildiag.pydantic.localize_errors).
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from maildiag.messages import negotiate
from maildiag.pydantic import DiagEmail, localize_errors


class Signup(BaseModel):
    name: str
    email: DiagEmail


app = FastAPI()


@app.exception_handler(RequestValidationError)
async def localized(request: Request, exc: RequestValidationError) -> JSONResponse:
    locale = negotiate(request.headers.get("accept-language"))
    return JSONResponse({"detail": localize_errors(exc.errors(), locale)}, status_code=422)


@app.post("/signup")
async def signup(body: Signup) -> dict[str, str]:
    return {"email": body.email}


client = TestClient(app)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Did you mean jane@gmail.com?"),
        ("en-US,en;q=0.9", "Did you mean jane@gmail.com?"),
        ("he-IL,he;q=0.9,en;q=0.8", "האם התכוונת ל-jane@gmail.com?"),
        ("fr-FR,he;q=0.5", "האם התכוונת ל-jane@gmail.com?"),  # French is not shipped: next choice
        ("en;q=0.2, he;q=0.7", "האם התכוונת ל-jane@gmail.com?"),
        ("iw", "האם התכוונת ל-jane@gmail.com?"),
        ("he;q=0, en", "Did you mean jane@gmail.com?"),
        ("garbage;;;q=x,,", "Did you mean jane@gmail.com?"),
    ],
)
def test_the_422_body_speaks_the_requests_language(header: str | None, message: str) -> None:
    headers = {"accept-language": header} if header is not None else {}
    response = client.post("/signup", json={"name": "Jane", "email": "jane@gmial.com"}, headers=headers)
    assert response.status_code == 422
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["body", "email"]]
    assert error["msg"] == message
    # What a frontend matches on never changes with the language.
    assert error["type"] == "email_typo"
    assert error["ctx"]["code"] == "domain.typo" and error["ctx"]["suggestion"] == "jane@gmail.com"


def test_other_errors_pass_through_unchanged() -> None:
    response = client.post("/signup", json={"email": "jane@gmail.com"}, headers={"accept-language": "he"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "name"] and error["type"] == "missing"


def test_a_good_address_is_accepted() -> None:
    response = client.post("/signup", json={"name": "Jane", "email": "jane@gmail.com"})
    assert response.json() == {"email": "jane@gmail.com"}


@pytest.mark.parametrize(("header", "locale"), [
    ("", "en"), ("he", "he"), ("HE-il", "he"), ("de, en;q=0.1", "en"), ("*", "en"), ("he;q=0.000", "en"),
    ("en;q=0.5,he;q=0.5", "en"),  # a tie goes to the first listed
])
def test_negotiate(header: str, locale: str) -> None:
    assert negotiate(header) == locale


def test_negotiate_is_bounded_on_a_huge_header() -> None:
    assert negotiate("x-" * 1_000_000 + ",he") == "en"  # read up to its cap, never the whole
