"""Admins manage email recipients in the review app; the scheduler's next cycle uses them."""

from __future__ import annotations

from monitor.config import load_config
from monitor.recipients import effective_recipients
from storage.recipients import Recipients, StoredRecipient
from tests import test_email
from tests.climonitor import Monitor
from tests.pageserver import PageServer
from tests.test_classify import AFTER, BEFORE
from tests.test_email import Smtp, serve, store_of
from tests.webapp import Site, csrf_token

YAML_PERSON = "money@example.org"
monitor, smtp = test_email.monitor, test_email.smtp  # the email suite's fixtures


def add_file_recipient(site: Site) -> None:
    text = site.monitor.config.read_text()
    site.monitor.config.write_text(
        "notifications:\n  recipients:\n"
        f"    - {{email: {YAML_PERSON}, sections: [financial-allowances]}}\n" + text
    )


def people(site: Site) -> dict[str, object]:
    config = load_config(site.monitor.config)
    return {p.email: p for p in effective_recipients(config, site.store.engine)}


def test_admin_adds_changes_mutes_and_reverts_recipients(site: Site) -> None:
    add_file_recipient(site)
    client = site.client("admin")
    page = client.get("/admin/recipients/").get_data(as_text=True)
    assert YAML_PERSON in page and "sources.yaml" in page
    token = csrf_token(client, "/admin/recipients/")
    added = {"csrf_token": token, "email": "leave@example.org", "sections": ["kinship-care-leave"]}
    response = client.post("/admin/recipients/", data=added | {"digest": "on"})
    assert response.status_code == 302
    found = people(site)
    leave = found["leave@example.org"]
    assert leave.sections == ("kinship-care-leave",)  # type: ignore[attr-defined]
    assert (leave.immediate, leave.digest, leave.ops) == (False, True, False)  # type: ignore[attr-defined]
    muted = {"csrf_token": token, "email": YAML_PERSON, "active": "no"}
    client.post("/admin/recipients/", data=muted)
    assert YAML_PERSON not in people(site)
    client.post("/admin/recipients/remove", data={"csrf_token": token, "email": YAML_PERSON})
    assert YAML_PERSON in people(site)  # back to the file's entry


def test_bad_address_is_refused_clearly(site: Site) -> None:
    client = site.client("admin")
    token = csrf_token(client, "/admin/recipients/")
    response = client.post(
        "/admin/recipients/",
        data={"csrf_token": token, "email": "not an address"},
        follow_redirects=True,
    )
    assert "Not saved" in response.get_data(as_text=True)
    assert people(site) == {}


def test_only_admins_manage_recipients(site: Site) -> None:
    client = site.client("reviewer")
    assert client.get("/admin/recipients/").status_code == 403
    token = csrf_token(client, "/")
    response = client.post("/admin/recipients/", data={"csrf_token": token, "email": "a@b.org"})
    assert response.status_code == 403
    assert client.post("/admin/recipients/", data={"email": "a@b.org"}).status_code in (400, 403)


def test_a_recipient_added_in_the_app_gets_the_next_alert(
    monitor: Monitor, page_server: PageServer, smtp: Smtp
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    for store in store_of(monitor):
        person = StoredRecipient(
            "new@example.org", ("financial-allowances",), True, True, False, True
        )
        Recipients(store.engine).save(person, actor="admin@example.org")
        muted = StoredRecipient("money@example.org", (), True, True, True, active=False)
        Recipients(store.engine).save(muted, actor="admin@example.org")
    serve(page_server, AFTER)
    monitor.check()
    smtp.start()
    assert monitor.run("notify", "send").exit_code == 0
    assert [m["To"] for m in smtp.sink.messages] == ["new@example.org"]
