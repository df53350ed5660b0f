"""Evidence files: size and type limits (by extension and by first bytes), stored outside the
web root, downloaded only by who may see the finding, as an attachment whose name cannot
break the header."""

from __future__ import annotations

import io
import zipfile

import pytest

from assurance import evidence
from assurance.models import FindingFix
from tests.assurance import findings_world
from tests.assurance.findings_world import PDF, PNG, audit_of, client_of, finding_of, upload

pytestmark = pytest.mark.django_db

# The shared fixtures, taken by assignment (an import would read as unused, then redefined).
frozen_today = findings_world.frozen_today
media = findings_world.media
world = findings_world.world


def zipped(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


def report(world, finding, file):
    return client_of(world.vendor_a).post(
        f"/findings/{finding.pk}/fix/",
        {"fixed_on": "2026-04-01", "note": "Patched", "evidence": file},
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", PDF),
        ("screenshot.PNG", PNG),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("notes.txt", "Patched on all hosts – done\n".encode()),
        ("hosts.csv", "host;status\nweb1;fixed\n".encode("cp1252")),
        ("hosts.xlsx", zipped("xl/workbook.xml")),
        ("letter.docx", zipped("word/document.xml")),
    ],
)
def test_each_accepted_type_passes_by_extension_and_first_bytes(name, content):
    checked = evidence.evidence_check(upload(name, content))

    assert checked.size == len(content)
    assert checked.content_type == evidence.TYPES[name.rsplit(".", 1)[1].lower()][0]


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("scan.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "not a PDF"),  # an executable renamed
        ("screenshot.png", PDF, "not a PNG image"),
        ("hosts.xlsx", zipped("word/document.xml"), "not a Excel workbook"),
        ("notes.txt", b"\x7fELF\x02\x01\x01\x00", "not a plain text"),
        ("tool.exe", b"MZ\x90\x00", "not a type accepted"),
        ("page.html", b"<html><script>alert(1)</script>", "not a type accepted"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_wrong_type_is_refused_on_the_evidence_field(world, name, content, why):
    finding = finding_of(audit_of(world.a))

    response = report(world, finding, upload(name, content))

    assert response.status_code == 200
    assert why in response.content.decode().replace("&#x27;", "'")
    assert not FindingFix.objects.exists()


def test_a_file_over_the_limit_is_refused(world, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    finding = finding_of(audit_of(world.a))
    big = PDF + b"0" * (1024 * 1024)

    response = report(world, finding, upload("big.pdf", big))

    assert "evidence may be at most 1 MB" in response.content.decode()
    assert not FindingFix.objects.exists()


def test_the_download_name_cannot_inject_a_header(world):
    finding = finding_of(audit_of(world.a))
    report(world, finding, upload("scan.pdf", PDF))
    fix = FindingFix.objects.get()
    # Browsers cut a name at CR/LF before sending it; a name that kept them (another client,
    # an old row) must still not break the header.
    FindingFix.objects.filter(pk=fix.pk).update(evidence_name='evil"\r\nSet-Cookie: x=1;.pdf')

    response = client_of(world.manager).get(f"/fixes/{fix.pk}/evidence")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="evil_Set-Cookie_x_1.pdf"'
    assert "x" not in response.cookies
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_name_with_quotes_and_control_characters_is_shown_cleaned(world):
    finding = finding_of(audit_of(world.a))

    report(world, finding, upload("rep\u0007ort; v=\u2028'2'.pdf", PDF))

    assert FindingFix.objects.get().evidence_name == "report; v='2'.pdf"


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Scan résumé.pdf", "application/pdf", "Scan_resume.pdf"),
        ("../../etc/passwd.txt", "text/plain", "passwd.txt"),
        ("report.pdf.exe", "application/pdf", "report.pdf.pdf"),
        ("日本.png", "image/png", "evidence.png"),
    ],
)
def test_download_names_are_plain_ascii_with_the_stored_types_extension(name, kind, expected):
    assert evidence.download_name(evidence.display_name(name), kind) == expected


def test_who_may_download_the_evidence(world):
    finding = finding_of(audit_of(world.a))
    report(world, finding, upload("scan.pdf", PDF))
    url = f"/fixes/{FindingFix.objects.get().pk}/evidence"

    answers = {
        who: client_of(user).get(url).status_code
        for who, user in (
            ("manager", world.manager),
            ("finance", world.finance),
            ("vendor_a", world.vendor_a),
            ("vendor_b", world.vendor_b),
        )
    }

    assert answers == {"manager": 200, "finance": 200, "vendor_a": 200, "vendor_b": 404}
    assert client_of(None).get(url).status_code == 302  # to the login page


def test_evidence_is_not_under_any_served_url(world, media, settings):
    finding = finding_of(audit_of(world.a))
    report(world, finding, upload("scan.pdf", PDF))
    fix = FindingFix.objects.get()

    assert (
        client_of(world.vendor_a)
        .get(f"/{settings.MEDIA_URL}evidence/{fix.evidence.name}")
        .status_code
        == 404
    )
