"""Printed documents: the offence documents and the shared print layer, checked in the PDF.

PDFs are read back with poppler (``pdftotext`` for the text, ``pdftoppm`` for page images,
``pdfimages`` for the logo), as a reader of the paper would see them.
"""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget

from app.domain.offences.cases import PersonDraft
from app.domain.offences.handover import parse_xml
from app.platform.errors import KodError, ValidationError
from app.platform.permissions import Role
from app.services import Services
from app.services.offence_export import Document
from tests import test_offence_cases
from tests.conftest import ADMIN, service_actions
from tests.test_offence_cases import Login, days_ago, draft, entry_id
from tests.test_offence_export import _two_cases
from ui.printing.dialogs import letterhead, preview
from ui.printing.document import PrintDocument
from ui.printing.handover import write_handover
from ui.printing.offence_documents import caution_certificate, hearing_form, offence_document
from ui.printing.render import Letterhead, in_worker, render, write_pdf, write_pdf_async

#: The fixture that logs a person in with a role (shared with the case tests).
person = test_offence_cases.person

#: Documents come from the services; one engine is enough for what is printed.
SQLITE = pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
PRINTED = datetime(2026, 12, 5, 13, 30, tzinfo=UTC)


def pdf_text(path: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    done = subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout.replace("\u00a0", " ")


def page_images(path: Path) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(path), str(path.with_suffix(""))], check=True
    )
    images = sorted(path.parent.glob(path.stem + "-*.png"))
    assert images and all(p.stat().st_size > 5000 for p in images)
    return images


async def _parking_caution(services: Services, person: Login) -> tuple[object, int]:
    clerk = await person(Role.CLERK)
    offences = clerk.services.offences
    case = await offences.capture(
        clerk.actor, draft(await entry_id(services, "141312"), days_ago(2))
    )
    case = await offences.mark_checked(clerk.actor, case.id, case.version)
    case = await offences.give_caution(clerk.actor, case.id, case.version, 2500, True, False)
    return clerk, case.id


@SQLITE
@pytest.mark.asyncio
async def test_the_caution_certificate_shows_the_case_the_fee_the_due_date_and_no_costs(
    services: Services,
    person: Login,
    tmp_path: Path,
) -> None:
    clerk, case_id = await _parking_caution(services, person)
    record = await clerk.services.offence_export.print_record(  # type: ignore[attr-defined]
        clerk.actor,
        case_id,
        Document.CAUTION_CERTIFICATE,  # type: ignore[attr-defined]
    )
    head = await letterhead(services)
    path = tmp_path / "bescheinigung.pdf"
    assert await write_pdf_async(caution_certificate(record), head, path, PRINTED) == 1
    text = pdf_text(path)
    c = record.info
    for expected in (
        "Stadt Leverkusen",
        "Kommunaler Ordnungsdienst",
        "Bescheinigung über eine Verwarnung (§ 56 OWiG)",
        c.number,
        "Max Muster, geb. 17.05.1980",
        "Parken im absoluten Haltverbot",
        "141312",
        "25,00 €",
        f"zu zahlen bis {c.payment_due:%d.%m.%Y}" if c.payment_due else "?",
        "Kosten (Gebühren und Auslagen) werden nicht erhoben",
        "Gedruckt am 05.12.2026, 14:30 Uhr",
        "Seite 1 von 1",
    ):
        assert expected in " ".join(text.split()), expected
    page_images(path)


@SQLITE
@pytest.mark.asyncio
async def test_the_hearing_form_and_the_report_name_the_accusation_the_rights_and_the_history(
    services: Services,
    person: Login,
    tmp_path: Path,
) -> None:
    clerk = await person(Role.CLERK)
    offences, exports = clerk.services.offences, clerk.services.offence_export
    case = await offences.capture(
        clerk.actor,
        draft(
            await entry_id(services, "Kleinabfall"),
            days_ago(3),
            act_description="Zigarettenstummel auf den Gehweg geworfen",
            concerned=PersonDraft(
                "Öztürk", "Ayşe", date(1990, 1, 2), "Kölner Str. 5, 51379 Leverkusen"
            ),
            lat=51.0331,
            lon=6.9853,
        ),
    )
    case = await offences.mark_checked(clerk.actor, case.id, case.version)
    sent = days_ago(1).date()
    case = await offences.send_hearing(clerk.actor, case.id, case.version, sent)
    head = await letterhead(services)

    record = await exports.print_record(clerk.actor, case.id, Document.HEARING_FORM)
    path = tmp_path / "anhoerung.pdf"
    pages = await write_pdf_async(hearing_form(record), head, path, PRINTED)
    text = " ".join(pdf_text(path).split())
    for expected in (
        "Anhörung im Bußgeldverfahren (§ 55 OWiG)",
        "Ihnen wird vorgeworfen",
        case.number,
        "Zigarettenstummel auf den Gehweg geworfen",
        "§ 28 Abs. 1 Satz 1 KrWG",
        "nicht zur Sache auszusagen",
        f"bis zum {record.reply_by:%d.%m.%Y}",
        "Ayşe Öztürk",
        f"Seite 1 von {pages}",
    ):
        assert expected in text, expected
    assert (record.reply_by - sent).days == 14
    page_images(path)

    case = await offences.hand_over(clerk.actor, case.id, case.version)
    path = tmp_path / "anzeige.pdf"
    report = await offence_document(clerk.services, clerk.actor, case.id, Document.COMPLAINT)
    pages = await write_pdf_async(report, head, path, PRINTED)
    text = " ".join(pdf_text(path).split())
    for expected in (
        "Anzeige einer Ordnungswidrigkeit",
        case.number,
        "Öztürk",
        "02.01.1990",
        "51,03310° N, 6,98530° O",
        "festzusetzen durch die Bußgeldstelle",
        "fahrlässig",
        "An Bußgeldstelle abgegeben",
        "Anhörung versandt",
        f"Seite {pages} von {pages}",
    ):
        assert expected.lower() in text.lower(), expected
    page_images(path)


def _long_table(rows: int) -> PrintDocument:
    doc = PrintDocument("Liste", "liste")
    doc.heading("Lange Liste")
    doc.table(
        ["Nr.", "Zeitpunkt", "Eintrag"],
        [(str(i), "05.12.2026", f"Eintrag {i} mit etwas Text") for i in range(rows)],
        (10, 25, 65),
    )
    return doc


def test_a_long_table_repeats_its_header_on_every_page(qapp: object, tmp_path: Path) -> None:
    path = tmp_path / "liste.pdf"
    pages = write_pdf(_long_table(160), Letterhead("Stadt Leverkusen"), path, PRINTED)
    assert pages >= 3
    for page in range(1, pages + 1):
        text = pdf_text(path, page)
        assert "Nr." in text and "Zeitpunkt" in text and "Eintrag" in text
        assert f"Seite {page} von {pages}" in text and "Stadt Leverkusen" in text
    assert "Eintrag 159 mit" in pdf_text(path, pages)
    all_text = pdf_text(path)
    assert all(f"Eintrag {i} mit" in all_text for i in range(160))  # no row lost at a break
    assert len(page_images(path)) == pages


@pytest.mark.asyncio
async def test_the_pdf_is_made_in_a_worker_thread_while_the_window_goes_on(
    tmp_path: Path,
) -> None:
    main = threading.get_ident()
    window_ran = threading.Event()
    QTimer.singleShot(0, window_ran.set)

    def work() -> int:
        # Finishes only once the window's event loop has run while this thread was busy.
        assert window_ran.wait(30)
        assert threading.get_ident() != main
        return write_pdf(_long_table(400), Letterhead("Stadt Leverkusen"), tmp_path / "a.pdf")

    assert await in_worker(work) >= 5
    with pytest.raises(KodError, match="kann nicht beschrieben"):
        await write_pdf_async(_long_table(1), Letterhead("X"), tmp_path / "nope" / "x.pdf")


@SQLITE
@pytest.mark.asyncio
async def test_the_letterhead_comes_from_the_settings_with_the_logo(
    services: Services, tmp_path: Path
) -> None:
    logo = tmp_path / "wappen.png"
    image = QImage(120, 140, QImage.Format.Format_RGB32)
    image.fill(QColor(30, 80, 160))
    assert image.save(str(logo))
    await services.settings.set(ADMIN, "print.city_name", "  Stadt Musterhausen ")
    await services.settings.set(ADMIN, "print.logo_path", str(logo))
    with pytest.raises(ValidationError, match="PNG-, JPEG- oder SVG-Datei"):
        await services.settings.set(ADMIN, "print.logo_path", str(tmp_path / "wappen.gif"))
    with pytest.raises(ValidationError, match="darf nicht leer sein"):
        await services.settings.set(ADMIN, "print.city_name", "  ")
    with pytest.raises(ValidationError, match="mindestens 7"):
        await services.settings.set(ADMIN, "offences.hearing_reply_days", 3)
    head = await letterhead(services)
    assert head == Letterhead("Stadt Musterhausen", "Kommunaler Ordnungsdienst", str(logo))
    path = tmp_path / "kopf.pdf"
    await write_pdf_async(_long_table(3), head, path, PRINTED)
    assert "Stadt Musterhausen" in pdf_text(path)
    listed = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    assert len(listed.stdout.strip().splitlines()) == 3  # two header lines, one image
    page_images(path)
    svg = tmp_path / "wappen.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="50">'
        '<rect width="40" height="50" fill="green"/></svg>',
        encoding="utf-8",
    )
    await write_pdf_async(_long_table(3), Letterhead("Stadt Musterhausen", "", str(svg)), path)
    listed = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    assert len(listed.stdout.strip().splitlines()) >= 3  # the SVG drawn as an image
    # A logo that cannot be read leaves the letterhead without it: the document still prints.
    broken = await write_pdf_async(
        _long_table(3),
        Letterhead("Stadt Musterhausen", "", str(tmp_path / "fehlt.png")),
        tmp_path / "ohne-logo.pdf",
    )
    assert broken == 1


def test_the_preview_and_a_printer_get_the_same_pages(qtbot: object, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)  # type: ignore[attr-defined]
    doc = _long_table(160)
    dialog = preview(parent, doc, Letterhead("Stadt Leverkusen"))
    widget = dialog.findChild(QPrintPreviewWidget)
    assert widget is not None
    widget.updatePreview()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "drucker.pdf"))
    pages = render(doc, Letterhead("Stadt Leverkusen"), printer, PRINTED)
    assert widget.pageCount() == pages >= 3
    assert f"Seite {pages} von {pages}" in pdf_text(tmp_path / "drucker.pdf", pages)
    dialog.close()


@SQLITE
@pytest.mark.asyncio
async def test_a_caution_paid_at_once_or_without_a_fee_says_so(
    services: Services, person: Login, tmp_path: Path
) -> None:
    clerk = await person(Role.CLERK)
    offences, exports = clerk.services.offences, clerk.services.offence_export
    head = await letterhead(services)
    texts = []
    for fee in (1000, None):
        case = await offences.capture(
            clerk.actor, draft(await entry_id(services, "141312"), days_ago(1))
        )
        case = await offences.mark_checked(clerk.actor, case.id, case.version)
        case = await offences.give_caution(clerk.actor, case.id, case.version, fee, True, True)
        record = await exports.print_record(clerk.actor, case.id, Document.CAUTION_CERTIFICATE)
        path = tmp_path / f"bescheinigung-{fee}.pdf"
        await write_pdf_async(caution_certificate(record), head, path, PRINTED)
        texts.append(" ".join(pdf_text(path).split()))
    paid, free = texts
    assert "10,00 €" in paid and "sofort bezahlt" in paid and "wird nur wirksam" not in paid
    assert "ohne Verwarnungsgeld" in free and "Zahlung" not in free and "€" not in free
    assert all("Kosten (Gebühren und Auslagen) werden nicht erhoben" in t for t in texts)


@SQLITE
@pytest.mark.asyncio
async def test_a_hand_over_writes_the_xml_and_an_anzeige_per_case_or_nothing(
    services: Services, person: Login, tmp_path: Path
) -> None:
    clerk = await person(Role.CLERK)
    parking, litter = await _two_cases(services, clerk)
    out = tmp_path / "abgabe"
    out.mkdir()
    files = await write_handover(clerk.services, clerk.actor, [litter, parking, litter], out)
    handover = parse_xml(files.data_file.read_bytes())
    numbers = [c.number for c in handover.cases]
    assert len(numbers) == 2 and len(files.reports) == 2
    for number, report in zip(numbers, files.reports, strict=True):
        assert report.name == f"Anzeige-{number}.pdf"
        assert number in pdf_text(report) and "Seite 1 von 1" in pdf_text(report)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [files.data_file.name, *(r.name for r in files.reports)]
    )
    with pytest.raises(KodError, match="kann nicht geschrieben werden"):
        await write_handover(clerk.services, clerk.actor, [parking], tmp_path / "fehlt")
    assert not (tmp_path / "fehlt").exists()
    actions = service_actions(services.db, "offence_case")
    assert actions.count("offence.export") == 3 and actions.count("offence.print") == 2
