"""Printing and PDF for every document of the workstation (offence documents, reports).

Build a :class:`~ui.printing.document.PrintDocument`, then hand it to
:mod:`ui.printing.dialogs` (preview, print dialog, save as PDF) or
:func:`~ui.printing.render.write_pdf_async`. Pages are A4 with the city's letterhead and
"Seite x von y" with the time of printing.
"""
