"""A typed client of the Tessera API written from its OpenAPI document alone.

The models module is generated from `/api/v1/openapi.json` by datamodel-code-generator (pydantic
v2, see scripts/api-client); nothing here knows the API otherwise. Every answer is parsed into its
documented model (unknown fields refused where the document says so), records into their
entity's `…Data` model, and a record sent is built from the generated `VictimInput`, its codes
from the generated enums.

Usage: python api_client.py MODELS.py BASE_URL COORDINATOR_TOKEN FOCAL_POINT_TOKEN
"""

import importlib.util
import json
import sys
import urllib.error
import urllib.request

from pydantic import TypeAdapter


def load(path):
    spec = importlib.util.spec_from_file_location("tessera_api", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tessera_api"] = module
    spec.loader.exec_module(module)
    return module


def call(base, method, path, token=None, body=None, ctype="application/json", lang=None):
    req = urllib.request.Request(base + path, method=method, data=body)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", ctype)
    if lang:
        req.add_header("Accept-Language", lang)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    m = load(sys.argv[1])
    base, coord, fp = sys.argv[2], sys.argv[3], sys.argv[4]
    checked = []

    # Without a token: 401, a problem document.
    status, headers, body = call(base, "GET", "/records")
    expect(status == 401, f"no token: {status}")
    expect(headers["Content-Type"] == "application/problem+json", headers["Content-Type"])
    m.Problem.model_validate_json(body)
    status, _, body = call(base, "GET", "/statistics", lang="fr-CF, fr;q=0.9")
    expect("Connectez-vous" in m.Problem.model_validate_json(body).detail, body)
    checked.append("401 problems, in the language asked for")

    status, _, body = call(base, "GET", "/providers", coord)
    providers = TypeAdapter(list[m.Provider]).validate_json(body)
    expect(status == 200 and providers, f"providers: {status}")
    checked.append(f"{len(providers)} providers")

    status, _, body = call(base, "GET", "/submissions", coord)
    submissions = TypeAdapter(list[m.Submission]).validate_json(body)
    expect(status == 200 and submissions, f"submissions: {status}")
    status, _, body = call(base, "GET", f"/submissions/{submissions[0].id}", coord)
    detail = m.SubmissionDetail.model_validate_json(body)
    expect(detail.id == submissions[0].id, "submission detail")
    checked.append(f"{len(submissions)} submissions")

    # Two pages of victims, each record's values as the VictimData model says.
    seen = 0
    after = 0
    for _ in range(2):
        status, _, body = call(base, "GET", f"/records?entity=victim&limit=50&after={after}", coord)
        page = m.RecordPage.model_validate_json(body)
        expect(status == 200 and page.records, f"records: {status}")
        for r in page.records:
            expect(r.entity == "victim", r.entity)
            m.VictimData.model_validate(r.data.model_dump(mode="json", exclude_none=True))
            seen += 1
        after = page.next_after
        expect(after is not None, "a second page")
    status, _, body = call(base, "GET", f"/records/{after}", coord)
    m.Record.model_validate_json(body)
    checked.append(f"{seen} victim records on two pages")

    status, _, body = call(base, "GET", "/statistics", coord)
    stats = m.Statistics.model_validate_json(body)
    expect(status == 200 and stats.counts, f"statistics: {status}")

    status, _, body = call(base, "GET", "/dictionary", coord)
    dictionary = m.Dictionary.model_validate_json(body)
    victim = dictionary.entities["victim"]
    expect("sex" in victim.input_schema["properties"], "the victim schema")
    checked.append("statistics and the dictionary")

    # A record built with the generated model and enums.
    record = m.VictimInput(
        provider_ref="TYPED-1",
        identification_status=m.IdentificationStatusCode("IDENTIFIED"),
        date_identified="2025-01-02",
        sex=m.SexCode("F"),
        exploitation=[m.ExploitationFormCode("SEX"), m.ExploitationFormCode("LAB")],
        age=19,
        given_name="Awa",
        family_name="Zanga",
    )
    send = m.VictimRecords(entity="victim", period="2025", records=[record])
    payload = send.model_dump_json(exclude_none=True).encode()
    status, _, body = call(base, "POST", "/records", fp, payload)
    expect(status == 201, f"typed record refused: {status} {body!r}")
    stored = m.Stored.model_validate_json(body)
    expect(stored.inserted + stored.updated + stored.unchanged == 1, stored)
    status, _, body = call(base, "POST", "/records", fp, payload)
    expect(m.Stored.model_validate_json(body).unchanged == 1, body)
    checked.append("a typed record stored, then left unchanged")

    # What a typed client cannot build, sent raw: every problem, records numbered from 1.
    raw = {
        "entity": "victim",
        "period": "2025",
        "records": [
            json.loads(record.model_dump_json(exclude_none=True)),
            {"provider_ref": "TYPED-2", "identification_status": "IDENTIFIED",
             "date_identified": "2025-01-02", "sex": "Q", "colour": "blue"},
        ],
    }
    status, headers, body = call(base, "POST", "/records", fp, json.dumps(raw).encode(), lang="en")
    expect(status == 422, f"refused: {status}")
    problem = m.ValidationProblem.model_validate_json(body)
    rows = sorted({(e.row, e.column) for e in problem.errors})
    expect((2, "colour") in rows and (2, "sex") in rows and (2, "exploitation") in rows, rows)
    expect(all(row == 2 for row, _ in rows), rows)
    checked.append("a refused request: every problem of record 2")

    # A CSV body, documented as text/csv.
    csv = "provider_ref,identification_status,date_identified,sex,exploitation\nTYPED-3,IDENTIFIED,2025-01-02,M,LAB\n"
    status, _, body = call(base, "POST", "/records?entity=victim&period=2025", fp, csv.encode(), ctype="text/csv")
    expect(status == 201, f"CSV: {status} {body!r}")
    m.Stored.model_validate_json(body)
    checked.append("a CSV body")

    for line in checked:
        print("ok:", line)


if __name__ == "__main__":
    main()
