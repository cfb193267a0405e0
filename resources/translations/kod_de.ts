<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
    <context>
        <name>AccessTableModel</name>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Person</source>
            <translation>Person</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
        <message>
            <source>Recording</source>
            <translation>Aufnahme</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Empfänger</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
    </context>
    <context>
        <name>AlarmSound</name>
        <message>
            <source>the alarm sound is switched off (KOD_ALARM_AUDIO=0)</source>
            <translation>Alarmton abgeschaltet (KOD_ALARM_AUDIO=0)</translation>
        </message>
        <message>
            <source>no audio output device</source>
            <translation>kein Audioausgabegerät</translation>
        </message>
        <message>
            <source>the audio system cannot be used</source>
            <translation>Audiosystem nicht nutzbar</translation>
        </message>
        <message>
            <source>the alarm sound cannot be played</source>
            <translation>Alarmton kann nicht abgespielt werden</translation>
        </message>
        <message>
            <source>the audio output failed</source>
            <translation>Audioausgabe fehlgeschlagen</translation>
        </message>
    </context>
    <context>
        <name>AlarmStrip</name>
        <message>
            <source>Alarm sound not available on this workstation (%1): an emergency is only shown on the screen.</source>
            <translation>Alarmton an diesem Arbeitsplatz nicht verfügbar (%1): ein Notruf wird nur auf dem Bildschirm angezeigt.</translation>
        </message>
        <message>
            <source>No open emergency</source>
            <translation>Kein offener Notruf</translation>
        </message>
    </context>
    <context>
        <name>AssignUnitDialog</name>
        <message>
            <source>Assign unit</source>
            <translation>Einheit zuteilen</translation>
        </message>
        <message>
            <source>Loading …</source>
            <translation>Wird geladen …</translation>
        </message>
        <message>
            <source>↑/↓ choose a unit · Enter assigns · Esc closes</source>
            <translation>↑/↓ Einheit wählen · Enter teilt zu · Esc schließt</translation>
        </message>
        <message>
            <source>&amp;Assign</source>
            <translation>&amp;Zuteilen</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Schließen</translation>
        </message>
        <message>
            <source>Assign unit – %1</source>
            <translation>Einheit zuteilen – %1</translation>
        </message>
        <message>
            <source>There are no active units.</source>
            <translation>Es gibt keine aktiven Einheiten.</translation>
        </message>
        <message>
            <source>Unit not available</source>
            <translation>Einheit nicht verfügbar</translation>
        </message>
    </context>
    <context>
        <name>AuditDetailView</name>
        <message>
            <source>Select an entry to see everything it records.</source>
            <translation>Wählen Sie einen Eintrag aus, um alles zu sehen, was er festhält.</translation>
        </message>
        <message>
            <source>Who</source>
            <translation>Wer</translation>
        </message>
        <message>
            <source>When</source>
            <translation>Wann</translation>
        </message>
        <message>
            <source>What</source>
            <translation>Was</translation>
        </message>
        <message>
            <source>Object</source>
            <translation>Objekt</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Empfänger</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
        <message>
            <source>Entry %1</source>
            <translation>Eintrag %1</translation>
        </message>
        <message>
            <source>Refused attempt</source>
            <translation>Abgewiesener Versuch</translation>
        </message>
        <message>
            <source>Details</source>
            <translation>Details</translation>
        </message>
    </context>
    <context>
        <name>AuditFilterBar</name>
        <message>
            <source>User name</source>
            <translation>Benutzername</translation>
        </message>
        <message>
            <source>All objects</source>
            <translation>Alle Objekte</translation>
        </message>
        <message>
            <source>any</source>
            <translation>alle</translation>
        </message>
        <message>
            <source>e.g. created, login.failed</source>
            <translation>z. B. angelegt, login.failed</translation>
        </message>
        <message>
            <source>&amp;From</source>
            <translation>&amp;Von</translation>
        </message>
        <message>
            <source>&amp;To</source>
            <translation>&amp;Bis</translation>
        </message>
        <message>
            <source>Only refused &amp;attempts</source>
            <translation>Nur abgewiesene Vers&amp;uche</translation>
        </message>
        <message>
            <source>Access refused, failed logins and accounts locked after failed logins</source>
            <translation>Verweigerte Zugriffe, fehlgeschlagene Anmeldungen und nach Fehlversuchen gesperrte Konten</translation>
        </message>
        <message>
            <source>Server's &amp;row records (db.*)</source>
            <translation>&amp;Zeilenprotokoll des Servers (db.*)</translation>
        </message>
        <message>
            <source>The database server's own record of every changed row (PostgreSQL): many entries, hidden by default</source>
            <translation>Das eigene Protokoll des Datenbankservers über jede geänderte Zeile (PostgreSQL): viele Einträge, daher standardmäßig ausgeblendet</translation>
        </message>
        <message>
            <source>Apply</source>
            <translation>Anwenden</translation>
        </message>
        <message>
            <source>Apply the filter (Enter in a field)</source>
            <translation>Filter anwenden (Enter in einem Feld)</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>Zurücksetzen</translation>
        </message>
        <message>
            <source>Clear the filter (Esc)</source>
            <translation>Filter zurücksetzen (Esc)</translation>
        </message>
        <message>
            <source>&amp;Person</source>
            <translation>&amp;Person</translation>
        </message>
        <message>
            <source>&amp;Object</source>
            <translation>&amp;Objekt</translation>
        </message>
        <message>
            <source>N&amp;o.</source>
            <translation>N&amp;r.</translation>
        </message>
        <message>
            <source>A&amp;ction</source>
            <translation>A&amp;ktion</translation>
        </message>
    </context>
    <context>
        <name>AuditLogPane</name>
        <message>
            <source>Export CSV …</source>
            <translation>CSV exportieren …</translation>
        </message>
        <message>
            <source>Reload</source>
            <translation>Neu laden</translation>
        </message>
        <message>
            <source>Your role (%1) may check the audit log's integrity and see its newest hash, but not read its entries: the entries are for data protection only.</source>
            <translation>Ihre Rolle (%1) darf die Unversehrtheit des Audit-Protokolls prüfen und seine neueste Prüfsumme sehen, aber nicht seine Einträge lesen: Die Einträge sind allein dem Datenschutz vorbehalten.</translation>
        </message>
        <message>
            <source>Check the whole chain (Ctrl+Shift+P)</source>
            <translation>Die ganze Kette prüfen (Strg+Umschalt+P)</translation>
        </message>
        <message>
            <source>Save the entries shown as a CSV file (Ctrl+Shift+E)</source>
            <translation>Die angezeigten Einträge als CSV-Datei speichern (Strg+Umschalt+E)</translation>
        </message>
        <message>
            <source>Read the log again (F5)</source>
            <translation>Protokoll neu laden (F5)</translation>
        </message>
        <message>
            <source>Enter applies the filter · Esc clears it · F5 reloads · Ctrl+Shift+P checks the chain · Ctrl+Shift+E exports · Ctrl+Shift+C copies the newest hash</source>
            <translation>Enter wendet den Filter an · Esc setzt ihn zurück · F5 lädt neu · Strg+Umschalt+P prüft die Kette · Strg+Umschalt+E exportiert · Strg+Umschalt+C kopiert die neueste Prüfsumme</translation>
        </message>
        <message>
            <source>F5 reads the newest hash again · Ctrl+Shift+P checks the chain · Ctrl+Shift+C copies the newest hash</source>
            <translation>F5 liest die neueste Prüfsumme neu · Strg+Umschalt+P prüft die Kette · Strg+Umschalt+C kopiert die neueste Prüfsumme</translation>
        </message>
        <message>
            <source>Loading …</source>
            <translation>Wird geladen …</translation>
        </message>
        <message>
            <source>1 entry</source>
            <translation>1 Eintrag</translation>
        </message>
        <message>
            <source>%1 entries</source>
            <translation>%1 Einträge</translation>
        </message>
        <message>
            <source>more than %1 entries</source>
            <translation>mehr als %1 Einträge</translation>
        </message>
        <message>
            <source>%1 · as of %2</source>
            <translation>%1 · Stand %2</translation>
        </message>
        <message>
            <source>audit-log-%1.csv</source>
            <translation>Audit-Protokoll-%1.csv</translation>
        </message>
        <message>
            <source>Export the audit log</source>
            <translation>Audit-Protokoll exportieren</translation>
        </message>
        <message>
            <source>CSV files (*.csv)</source>
            <translation>CSV-Dateien (*.csv)</translation>
        </message>
        <message>
            <source>Exporting to %1 …</source>
            <translation>Exportiere nach %1 …</translation>
        </message>
        <message>
            <source>%1 exported to %2.</source>
            <translation>%1 nach %2 exportiert.</translation>
        </message>
        <message>
            <source>Audit log</source>
            <translation>Audit-Protokoll</translation>
        </message>
    </context>
    <context>
        <name>AuditLogTableModel</name>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Person</source>
            <translation>Person</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
        <message>
            <source>Object</source>
            <translation>Objekt</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
        <message>
            <source>Refused attempt: %1</source>
            <translation>Abgewiesener Versuch: %1</translation>
        </message>
        <message>
            <source>Refused attempt</source>
            <translation>Abgewiesener Versuch</translation>
        </message>
    </context>
    <context>
        <name>BerlinDateTimeEdit</name>
        <message>
            <source>Type the date and time (years %1 to %2); ↑/↓ change the part under the cursor once you have started typing; Alt+↓ opens the calendar.</source>
            <translation>Datum und Uhrzeit eintippen (Jahre %1 bis %2); ↑/↓ ändern den Teil unter dem Cursor, sobald Sie mit der Eingabe begonnen haben; Alt+↓ öffnet den Kalender.</translation>
        </message>
    </context>
    <context>
        <name>BookmarkPanel</name>
        <message>
            <source>Bookmarks</source>
            <translation>Lesezeichen</translation>
        </message>
        <message>
            <source>Change note</source>
            <translation>Notiz ändern</translation>
        </message>
        <message>
            <source>Remove</source>
            <translation>Entfernen</translation>
        </message>
        <message>
            <source>Note for the bookmark at %1 – Enter sets it, Esc cancels</source>
            <translation>Notiz zum Lesezeichen bei %1 – Enter setzt es, Esc bricht ab</translation>
        </message>
        <message>
            <source>Changed note – Enter saves it, Esc cancels</source>
            <translation>Geänderte Notiz – Enter speichert, Esc bricht ab</translation>
        </message>
        <message>
            <source>B sets a bookmark</source>
            <translation>B: Lesezeichen setzen</translation>
        </message>
    </context>
    <context>
        <name>CallSignTyping</name>
        <message>
            <source>Call sign: %1</source>
            <translation>Funkrufname: %1</translation>
        </message>
        <message>
            <source>Call sign: %1 – no unit with exactly this call sign</source>
            <translation>Funkrufname: %1 – keine Einheit mit genau diesem Funkrufnamen</translation>
        </message>
    </context>
    <context>
        <name>CallTaking</name>
        <message>
            <source>The new-incident form holds a call that is not saved.</source>
            <translation>Im Formular „Neuer Einsatz“ steht ein Anruf, der nicht gespeichert ist.</translation>
        </message>
        <message>
            <source>Select an incident in the queue first.</source>
            <translation>Wählen Sie zuerst einen Einsatz in der Einsatzliste aus.</translation>
        </message>
    </context>
    <context>
        <name>CallTakingDialog</name>
        <message>
            <source>New incident</source>
            <translation>Neuer Einsatz</translation>
        </message>
        <message>
            <source>Save (Ctrl+Enter)</source>
            <translation>Speichern (Strg+Enter)</translation>
        </message>
        <message>
            <source>Save and dispatch (F9)</source>
            <translation>Speichern und alarmieren (F9)</translation>
        </message>
        <message>
            <source>Cancel (Esc)</source>
            <translation>Abbrechen (Esc)</translation>
        </message>
        <message>
            <source>Tab next field · ↓ Enter choose address · Ctrl+Enter save · F9 save and dispatch · Esc cancel</source>
            <translation>Tab nächstes Feld · ↓ Enter Adresse wählen · Strg+Enter speichern · F9 speichern und alarmieren · Esc abbrechen</translation>
        </message>
        <message>
            <source>Discard call</source>
            <translation>Anruf verwerfen</translation>
        </message>
        <message>
            <source>Discard this call? What you entered will be lost.</source>
            <translation>Diesen Anruf verwerfen? Ihre Eingaben gehen verloren.</translation>
        </message>
    </context>
    <context>
        <name>CallTakingForm</name>
        <message>
            <source>Type a few letters of the category</source>
            <translation>Einige Buchstaben der Kategorie eingeben</translation>
        </message>
        <message>
            <source>Preset from the category; Alt+P to change it.</source>
            <translation>Aus der Kategorie vorbelegt; mit Alt+P ändern.</translation>
        </message>
        <message>
            <source>Street and house number, e.g. “haupt 12”</source>
            <translation>Straße und Hausnummer, z. B. „haupt 12“</translation>
        </message>
        <message>
            <source>What is happening? Who, what, where exactly?</source>
            <translation>Was ist los? Wer, was, wo genau?</translation>
        </message>
        <message>
            <source>Ca&amp;tegory</source>
            <translation>&amp;Kategorie</translation>
        </message>
        <message>
            <source>&amp;Priority</source>
            <translation>&amp;Priorität</translation>
        </message>
        <message>
            <source>&amp;Address</source>
            <translation>&amp;Adresse</translation>
        </message>
        <message>
            <source>District</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Ca&amp;ller</source>
            <translation>&amp;Meldende Person</translation>
        </message>
        <message>
            <source>P&amp;hone</source>
            <translation>&amp;Telefon</translation>
        </message>
        <message>
            <source>&amp;Description</source>
            <translation>&amp;Beschreibung</translation>
        </message>
        <message>
            <source>No category matches “%1”. Type a few letters of a category.</source>
            <translation>Keine Kategorie passt zu „%1“. Geben Sie einige Buchstaben einer Kategorie ein.</translation>
        </message>
        <message>
            <source>Choose a category: type a few letters of it.</source>
            <translation>Wählen Sie eine Kategorie: Geben Sie einige Buchstaben davon ein.</translation>
        </message>
    </context>
    <context>
        <name>CaptureCaseDialog</name>
        <message>
            <source>New offence case</source>
            <translation>Neuer OWi-Fall</translation>
        </message>
        <message>
            <source>intent</source>
            <translation>vorsätzlich</translation>
        </message>
        <message>
            <source>negligence</source>
            <translation>fahrlässig</translation>
        </message>
        <message>
            <source>DD.MM.YYYY</source>
            <translation>TT.MM.JJJJ</translation>
        </message>
        <message>
            <source>Street no., postcode town</source>
            <translation>Straße Nr., PLZ Ort</translation>
        </message>
        <message>
            <source>For incident %1 (%2)</source>
            <translation>Zum Einsatz %1 (%2)</translation>
        </message>
        <message>
            <source>Incident:</source>
            <translation>Einsatz:</translation>
        </message>
        <message>
            <source>&amp;Offence:</source>
            <translation>&amp;Tatbestand:</translation>
        </message>
        <message>
            <source>&amp;Time of act:</source>
            <translation>Tat&amp;zeit:</translation>
        </message>
        <message>
            <source>&amp;Place of act:</source>
            <translation>Tat&amp;ort:</translation>
        </message>
        <message>
            <source>&amp;Description:</source>
            <translation>&amp;Beschreibung:</translation>
        </message>
        <message>
            <source>Culpability:</source>
            <translation>Schuldform:</translation>
        </message>
        <message>
            <source>Person concerned</source>
            <translation>Betroffene Person</translation>
        </message>
        <message>
            <source>&amp;Surname:</source>
            <translation>&amp;Nachname:</translation>
        </message>
        <message>
            <source>&amp;First name:</source>
            <translation>&amp;Vorname:</translation>
        </message>
        <message>
            <source>Date of &amp;birth:</source>
            <translation>&amp;Geburtsdatum:</translation>
        </message>
        <message>
            <source>&amp;Address:</source>
            <translation>&amp;Adresse:</translation>
        </message>
        <message>
            <source>surname</source>
            <translation>Nachname</translation>
        </message>
        <message>
            <source>address</source>
            <translation>Anschrift</translation>
        </message>
        <message>
            <source>place of act</source>
            <translation>Tatort</translation>
        </message>
        <message>
            <source>Save and give &amp;Verwarnung …</source>
            <translation>Speichern und &amp;Verwarnung …</translation>
        </message>
        <message>
            <source>Choose the offence from the catalogue.</source>
            <translation>Bitte den Tatbestand aus dem Katalog wählen.</translation>
        </message>
        <message>
            <source>Date of birth</source>
            <translation>Geburtsdatum</translation>
        </message>
    </context>
    <context>
        <name>CatalogueChooser</name>
        <message>
            <source>Number, words or law, e.g. 141312 or Hundekot</source>
            <translation>Nummer, Wörter oder Rechtsgrundlage, z. B. 141312 oder Hundekot</translation>
        </message>
        <message>
            <source>[unverified]</source>
            <translation>[ungeprüft]</translation>
        </message>
    </context>
    <context>
        <name>CautionDialog</name>
        <message>
            <source>Verwarnung for %1</source>
            <translation>Verwarnung zu %1</translation>
        </message>
        <message>
            <source>without a fee</source>
            <translation>ohne Verwarnungsgeld</translation>
        </message>
        <message>
            <source>The person was told they may refuse, and agreed</source>
            <translation>Über das Weigerungsrecht belehrt, Betroffene(r) ist einverstanden</translation>
        </message>
        <message>
            <source>Paid at once</source>
            <translation>Sofort bezahlt</translation>
        </message>
        <message>
            <source>&amp;Amount:</source>
            <translation>&amp;Betrag:</translation>
        </message>
        <message>
            <source>Payment period: one week (until %1).</source>
            <translation>Zahlungsfrist: eine Woche (bis %1).</translation>
        </message>
        <message>
            <source>Up to 10 € a period is granted only if the person cannot pay at once.</source>
            <translation>Bis 10 € wird eine Frist nur gewährt, wenn nicht sofort gezahlt werden kann.</translation>
        </message>
    </context>
    <context>
        <name>ChainCheckPanel</name>
        <message>
            <source>not read yet</source>
            <translation>noch nicht gelesen</translation>
        </message>
        <message>
            <source>The newest record's hash. Keep it outside the database (e.g. in the shift report): a later check against it shows whether records were removed.</source>
            <translation>Die Prüfsumme des neuesten Eintrags. Bewahren Sie sie außerhalb der Datenbank auf (z. B. im Schichtbericht): Eine spätere Prüfung gegen sie zeigt, ob Einträge entfernt wurden.</translation>
        </message>
        <message>
            <source>Copy</source>
            <translation>Kopieren</translation>
        </message>
        <message>
            <source>Copy the newest hash to the clipboard (Ctrl+Shift+C)</source>
            <translation>Neueste Prüfsumme in die Zwischenablage kopieren (Strg+Umschalt+C)</translation>
        </message>
        <message>
            <source>optional: a hash from a shift report</source>
            <translation>optional: eine Prüfsumme aus einem Schichtbericht</translation>
        </message>
        <message>
            <source>Verify chain</source>
            <translation>Kette prüfen</translation>
        </message>
        <message>
            <source>The chain has not been checked in this session yet.</source>
            <translation>Die Kette wurde in dieser Sitzung noch nicht geprüft.</translation>
        </message>
        <message>
            <source>Newest &amp;hash</source>
            <translation>Neueste Prüf&amp;summe</translation>
        </message>
        <message>
            <source>Expected a&amp;nchor</source>
            <translation>Erwarteter A&amp;nker</translation>
        </message>
        <message>
            <source>the log is empty</source>
            <translation>das Protokoll ist leer</translation>
        </message>
        <message>
            <source>The expected anchor must be a hash of 64 characters (0–9, a–f), as printed in the shift report.</source>
            <translation>Der erwartete Anker muss eine Prüfsumme aus 64 Zeichen (0–9, a–f) sein, wie sie im Schichtbericht steht.</translation>
        </message>
        <message>
            <source>Checking the chain … (the window stays usable)</source>
            <translation>Prüfe die Kette … (das Fenster bleibt bedienbar)</translation>
        </message>
    </context>
    <context>
        <name>ChangeNotice</name>
        <message>
            <source>Changed by another workstation: %1 (now shown). Your unsaved changes to other fields are kept.</source>
            <translation>An einem anderen Arbeitsplatz geändert: %1 (jetzt angezeigt). Ihre ungespeicherten Änderungen an anderen Feldern bleiben erhalten.</translation>
        </message>
        <message>
            <source>Changed by another workstation: %1. Your unsaved input is kept; saving shows both versions. “Revert” shows the current data.</source>
            <translation>An einem anderen Arbeitsplatz geändert: %1. Ihre ungespeicherten Eingaben bleiben erhalten; beim Speichern werden beide Fassungen angezeigt. „Zurücksetzen“ zeigt die aktuellen Daten.</translation>
        </message>
    </context>
    <context>
        <name>ClipAccessReportView</name>
        <message>
            <source>Clip-access report</source>
            <translation>Zugriffsbericht Aufnahmen</translation>
        </message>
        <message>
            <source>&amp;Show</source>
            <translation>&amp;Anzeigen</translation>
        </message>
        <message>
            <source>Export CSV …</source>
            <translation>CSV exportieren …</translation>
        </message>
        <message>
            <source>Accesses</source>
            <translation>Zugriffe</translation>
        </message>
        <message>
            <source>Deletion protocol</source>
            <translation>Löschprotokoll</translation>
        </message>
        <message>
            <source>Every access to a bodycam recording with person, time and stated reason. Reading this report is recorded too. Ctrl+Shift+G exports the tab shown.</source>
            <translation>Jeder Zugriff auf eine Bodycam-Aufnahme mit Person, Zeit und angegebenem Grund. Auch das Lesen dieses Berichts wird protokolliert. Strg+Umschalt+G exportiert den angezeigten Reiter.</translation>
        </message>
        <message>
            <source>&amp;From:</source>
            <translation>&amp;Von:</translation>
        </message>
        <message>
            <source>to:</source>
            <translation>bis:</translation>
        </message>
        <message>
            <source>1 access</source>
            <translation>1 Zugriff</translation>
        </message>
        <message>
            <source>%1 accesses</source>
            <translation>%1 Zugriffe</translation>
        </message>
        <message>
            <source>1 deletion</source>
            <translation>1 Löschung</translation>
        </message>
        <message>
            <source>%1 deletions</source>
            <translation>%1 Löschungen</translation>
        </message>
        <message>
            <source>clip-accesses-%1</source>
            <translation>Aufnahmezugriffe-%1</translation>
        </message>
        <message>
            <source>deletion-protocol-%1</source>
            <translation>Loeschprotokoll-%1</translation>
        </message>
        <message>
            <source>Export the report</source>
            <translation>Bericht exportieren</translation>
        </message>
        <message>
            <source>CSV files (*.csv)</source>
            <translation>CSV-Dateien (*.csv)</translation>
        </message>
        <message>
            <source>The file could not be written: %1</source>
            <translation>Die Datei konnte nicht geschrieben werden: %1</translation>
        </message>
        <message>
            <source>Exported to %1.</source>
            <translation>Exportiert nach %1.</translation>
        </message>
    </context>
    <context>
        <name>ClipPlayer</name>
        <message>
            <source>Play</source>
            <translation>Abspielen</translation>
        </message>
        <message>
            <source>Next frame</source>
            <translation>Nächstes Bild</translation>
        </message>
        <message>
            <source>Slower</source>
            <translation>Langsamer</translation>
        </message>
        <message>
            <source>Faster</source>
            <translation>Schneller</translation>
        </message>
        <message>
            <source>Mute</source>
            <translation>Ton aus</translation>
        </message>
        <message>
            <source>Volume</source>
            <translation>Lautstärke</translation>
        </message>
        <message>
            <source>Full screen</source>
            <translation>Vollbild</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>Pause</translation>
        </message>
        <message>
            <source>No recording open. Open one from the list of recordings.</source>
            <translation>Keine Aufnahme geöffnet. Öffnen Sie eine aus der Liste der Bodycam-Aufnahmen.</translation>
        </message>
    </context>
    <context>
        <name>ClipViewerPane</name>
        <message>
            <source>Clip viewer</source>
            <translation>Clip-Viewer</translation>
        </message>
        <message>
            <source>Open bodycam recording</source>
            <translation>Bodycam-Aufnahme öffnen</translation>
        </message>
        <message>
            <source>Every opening is recorded in the audit log with your name, the time and the reason. State why you need to watch this recording (e.g. the file number of the proceedings).</source>
            <translation>Jedes Öffnen wird mit Ihrem Namen, der Uhrzeit und dem Grund im Prüfprotokoll festgehalten. Geben Sie an, warum Sie diese Aufnahme ansehen müssen (z. B. das Aktenzeichen des Verfahrens).</translation>
        </message>
        <message>
            <source>e.g. Prüfung für OWi-Verfahren 2026/123, Auskunftsersuchen der Polizei …</source>
            <translation>z. B. Prüfung für OWi-Verfahren 2026/123, Auskunftsersuchen der Polizei …</translation>
        </message>
        <message>
            <source>Open recording</source>
            <translation>Aufnahme öffnen</translation>
        </message>
        <message>
            <source>Please state why you open this recording.</source>
            <translation>Bitte geben Sie an, warum Sie diese Aufnahme öffnen.</translation>
        </message>
        <message>
            <source>Recording opened; its integrity is being checked …</source>
            <translation>Aufnahme geöffnet; ihre Unversehrtheit wird geprüft …</translation>
        </message>
        <message>
            <source>Integrity checked: the recording is unchanged since its import.</source>
            <translation>Unversehrtheit geprüft: Die Aufnahme ist seit dem Import unverändert.</translation>
        </message>
        <message>
            <source>The player is still moving to the frame asked for. Keep the picture once it is there.</source>
            <translation>Das gewünschte Bild wird noch angesteuert. Bitte das Standbild sichern, sobald es angezeigt wird.</translation>
        </message>
        <message>
            <source>There is no picture to keep yet.</source>
            <translation>Es gibt noch kein Bild, das gesichert werden könnte.</translation>
        </message>
        <message>
            <source>Snapshot at %1 kept as evidence (no. %2, encrypted, %3 × %4 pixels).</source>
            <translation>Standbild bei %1 als Beweismittel gesichert (Nr. %2, verschlüsselt, %3 × %4 Pixel).</translation>
        </message>
    </context>
    <context>
        <name>CloseIncidentDialog</name>
        <message>
            <source>Close incident %1</source>
            <translation>Einsatz %1 abschließen</translation>
        </message>
        <message>
            <source>– choose an outcome –</source>
            <translation>– Einsatzergebnis wählen –</translation>
        </message>
        <message>
            <source>Optional: what was done, what was found</source>
            <translation>Optional: Was wurde getan, was wurde festgestellt?</translation>
        </message>
        <message>
            <source>&amp;Outcome</source>
            <translation>&amp;Ergebnis</translation>
        </message>
        <message>
            <source>&amp;Note</source>
            <translation>&amp;Vermerk</translation>
        </message>
        <message>
            <source>Units still assigned are released to status 1: %1</source>
            <translation>Noch zugeteilte Einheiten werden mit Status 1 aus dem Einsatz entlassen: %1</translation>
        </message>
        <message>
            <source>Close incident</source>
            <translation>Einsatz abschließen</translation>
        </message>
    </context>
    <context>
        <name>Commands</name>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Datei</translation>
        </message>
        <message>
            <source>&amp;Incident</source>
            <translation>&amp;Einsatz</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>&amp;Ansicht</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Hilfe</translation>
        </message>
        <message>
            <source>Keyboard shortcuts</source>
            <translation>Tastenkürzel</translation>
        </message>
        <message>
            <source>Reload</source>
            <translation>Neu laden</translation>
        </message>
        <message>
            <source>Go to the incident queue</source>
            <translation>Zur Einsatzliste wechseln</translation>
        </message>
        <message>
            <source>Search the queue</source>
            <translation>Einsatzliste durchsuchen</translation>
        </message>
        <message>
            <source>Clear the queue search (in the search field)</source>
            <translation>Suche in der Einsatzliste leeren (im Suchfeld)</translation>
        </message>
        <message>
            <source>Esc</source>
            <translation>Esc</translation>
        </message>
        <message>
            <source>Go to the map</source>
            <translation>Zur Lagekarte</translation>
        </message>
        <message>
            <source>Reset layout</source>
            <translation>Fensteranordnung zurücksetzen</translation>
        </message>
        <message>
            <source>&amp;Shift report …</source>
            <translation>&amp;Schichtbericht …</translation>
        </message>
        <message>
            <source>S&amp;tatistics …</source>
            <translation>S&amp;tatistik …</translation>
        </message>
        <message>
            <source>Go to the dashboard (key figures)</source>
            <translation>Zum Lagebild (Kennzahlen)</translation>
        </message>
        <message>
            <source>Import &amp;bodycam recordings …</source>
            <translation>&amp;Bodycam-Aufnahmen importieren …</translation>
        </message>
        <message>
            <source>&amp;Log out …</source>
            <translation>&amp;Abmelden …</translation>
        </message>
        <message>
            <source>&amp;Quit …</source>
            <translation>&amp;Beenden …</translation>
        </message>
        <message>
            <source>&amp;New incident …</source>
            <translation>&amp;Neuer Einsatz …</translation>
        </message>
        <message>
            <source>&amp;Assign unit to selected incident …</source>
            <translation>Einheit dem ausgewählten Einsatz &amp;zuteilen …</translation>
        </message>
        <message>
            <source>Save and dispatch (in the new-incident form)</source>
            <translation>Speichern und alarmieren (im Formular „Neuer Einsatz“)</translation>
        </message>
        <message>
            <source>Save (in the new-incident form)</source>
            <translation>Speichern (im Formular „Neuer Einsatz“)</translation>
        </message>
        <message>
            <source>Choose an address from the list (in the new-incident form)</source>
            <translation>Adresse aus der Liste wählen (im Formular „Neuer Einsatz“)</translation>
        </message>
        <message>
            <source>Down, Return</source>
            <translation>Pfeil runter, Eingabe</translation>
        </message>
        <message>
            <source>Change the priority (in the new-incident form)</source>
            <translation>Priorität ändern (im Formular „Neuer Einsatz“)</translation>
        </message>
        <message>
            <source>Save incident changes</source>
            <translation>Änderungen am Einsatz speichern</translation>
        </message>
        <message>
            <source>Write a journal note</source>
            <translation>Vermerk ins Einsatztagebuch schreiben</translation>
        </message>
        <message>
            <source>Close incident …</source>
            <translation>Einsatz abschließen …</translation>
        </message>
        <message>
            <source>Incident &amp;report of the shown incident …</source>
            <translation>Einsatzbe&amp;richt des angezeigten Einsatzes …</translation>
        </message>
        <message>
            <source>An alarmed unit of the incident confirms by radio (status 3)</source>
            <translation>Alarmierte Einheit des Einsatzes bestätigt per Funk (Status 3)</translation>
        </message>
        <message>
            <source>Go to the incident detail</source>
            <translation>Zu den Einsatzdetails wechseln</translation>
        </message>
        <message>
            <source>Add the note to the journal</source>
            <translation>Vermerk ins Einsatztagebuch übernehmen</translation>
        </message>
        <message>
            <source>Go to the unit status board</source>
            <translation>Zur Statustafel der Einheiten</translation>
        </message>
        <message>
            <source>Select the unit by typing</source>
            <translation>Einheit durch Tippen wählen</translation>
        </message>
        <message>
            <source>Call sign (e.g. KOD 33)</source>
            <translation>Funkrufname (z. B. KOD 33)</translation>
        </message>
        <message>
            <source>Set the selected unit's status</source>
            <translation>Status der ausgewählten Einheit setzen</translation>
        </message>
        <message>
            <source>0 … 6</source>
            <translation>0 … 6</translation>
        </message>
        <message>
            <source>The alarmed unit confirms by radio (status 3, Einsatz übernommen)</source>
            <translation>Alarmierte Einheit bestätigt per Funk (Status 3, Einsatz übernommen)</translation>
        </message>
        <message>
            <source>3</source>
            <translation>3</translation>
        </message>
        <message>
            <source>Undo the last status change made on the board</source>
            <translation>Letzte Statusänderung am Statustableau zurücknehmen</translation>
        </message>
        <message>
            <source>Trigger an emergency (Notruf) for the selected unit</source>
            <translation>Notruf für die ausgewählte Einheit auslösen</translation>
        </message>
        <message>
            <source>Status history of the selected unit</source>
            <translation>Statusverlauf der ausgewählten Einheit</translation>
        </message>
        <message>
            <source>Enter</source>
            <translation>Enter</translation>
        </message>
        <message>
            <source>All actions for the selected unit</source>
            <translation>Alle Aktionen für die ausgewählte Einheit</translation>
        </message>
        <message>
            <source>Menu key, Shift+F10</source>
            <translation>Menütaste, Umschalt+F10</translation>
        </message>
        <message>
            <source>Show or hide the selected unit's trail on the map</source>
            <translation>Spur der ausgewählten Einheit auf der Karte ein-/ausblenden</translation>
        </message>
        <message>
            <source>New task (Auftrag)</source>
            <translation>Neuer Auftrag</translation>
        </message>
        <message>
            <source>Go to the tasks</source>
            <translation>Zu den Aufträgen wechseln</translation>
        </message>
        <message>
            <source>New report (Meldung)</source>
            <translation>Neue Meldung</translation>
        </message>
        <message>
            <source>Go to the reports</source>
            <translation>Zu den Meldungen wechseln</translation>
        </message>
        <message>
            <source>Open the selected task or report</source>
            <translation>Ausgewählten Auftrag oder ausgewählte Meldung öffnen</translation>
        </message>
        <message>
            <source>All actions for the selected task or report</source>
            <translation>Alle Aktionen für den ausgewählten Auftrag oder die ausgewählte Meldung</translation>
        </message>
        <message>
            <source>Save the open dialog (Auftrag, Meldung, closing an incident)</source>
            <translation>Offenen Dialog speichern (Auftrag, Meldung, Einsatz abschließen)</translation>
        </message>
        <message>
            <source>Show due follow-ups (Wiedervorlage)</source>
            <translation>Fällige Wiedervorlagen anzeigen</translation>
        </message>
        <message>
            <source>Acknowledge the emergency (Notruf)</source>
            <translation>Notruf quittieren</translation>
        </message>
        <message>
            <source>Go to the audit log</source>
            <translation>Zum Audit-Protokoll</translation>
        </message>
        <message>
            <source>Verify the audit log's chain</source>
            <translation>Prüfkette des Audit-Protokolls prüfen</translation>
        </message>
        <message>
            <source>Export the audit log (CSV)</source>
            <translation>Audit-Protokoll exportieren (CSV)</translation>
        </message>
        <message>
            <source>Copy the newest hash</source>
            <translation>Neueste Prüfsumme kopieren</translation>
        </message>
        <message>
            <source>Apply the filter (in a filter field)</source>
            <translation>Filter anwenden (in einem Filterfeld)</translation>
        </message>
        <message>
            <source>Clear the filter</source>
            <translation>Filter zurücksetzen</translation>
        </message>
        <message>
            <source>Go to the filter (in the audit log)</source>
            <translation>Zum Filter (im Audit-Protokoll)</translation>
        </message>
        <message>
            <source>Read the audit log again (in the audit log)</source>
            <translation>Audit-Protokoll neu laden (im Audit-Protokoll)</translation>
        </message>
        <message>
            <source>Go to the unit management</source>
            <translation>Zur Einheitenverwaltung</translation>
        </message>
        <message>
            <source>New unit (in the unit management)</source>
            <translation>Neue Einheit (in der Einheitenverwaltung)</translation>
        </message>
        <message>
            <source>Save the unit: call sign, kind and crew (in the unit management)</source>
            <translation>Einheit speichern: Funkrufname, Art und Besatzung (in der Einheitenverwaltung)</translation>
        </message>
        <message>
            <source>Take the unit out of service or put it back (in the unit management)</source>
            <translation>Einheit außer Dienst stellen oder wieder in Dienst stellen (in der Einheitenverwaltung)</translation>
        </message>
        <message>
            <source>Go to the offence cases</source>
            <translation>Zu den OWi-Fällen</translation>
        </message>
        <message>
            <source>New offence case … (for the incident shown, if any)</source>
            <translation>Neuer OWi-Fall … (zum angezeigten Einsatz, falls einer offen ist)</translation>
        </message>
        <message>
            <source>Next step for the selected case … (in the offence cases)</source>
            <translation>Nächster Schritt für den gewählten Fall … (in den OWi-Fällen)</translation>
        </message>
        <message>
            <source>Show the place of the selected case on the map (in the offence cases)</source>
            <translation>Tatort des gewählten Falls auf der Karte zeigen (in den OWi-Fällen)</translation>
        </message>
        <message>
            <source>Print a document of the selected case … (in the offence cases)</source>
            <translation>Dokument zum gewählten Fall drucken … (in den OWi-Fällen)</translation>
        </message>
        <message>
            <source>Take a bodycam recording as evidence of the selected case …</source>
            <translation>Bodycam-Aufnahme als Beweismittel zum ausgewählten Fall …</translation>
        </message>
        <message>
            <source>Go to the recordings' deletion periods and holds</source>
            <translation>Zu den Löschfristen und Sperren der Aufnahmen</translation>
        </message>
        <message>
            <source>Go to the bodycam recordings</source>
            <translation>Zu den Bodycam-Aufnahmen</translation>
        </message>
        <message>
            <source>Propose a hold on the selected recording … (in the deletion periods)</source>
            <translation>Sperre für die ausgewählte Aufnahme beantragen … (in den Löschfristen)</translation>
        </message>
        <message>
            <source>Confirm the selected proposal as the second person (in the holds)</source>
            <translation>Ausgewählten Antrag als zweite Person bestätigen (in den Sperren)</translation>
        </message>
        <message>
            <source>Propose lifting (or refusing) the selected hold … (in the holds)</source>
            <translation>Aufhebung (oder Ablehnung) der ausgewählten Sperre beantragen … (in den Sperren)</translation>
        </message>
        <message>
            <source>Export the selected recordings as evidence … (in the deletion periods)</source>
            <translation>Ausgewählte Aufnahmen als Beweismittel exportieren … (in den Löschfristen)</translation>
        </message>
        <message>
            <source>Go to the clip-access report</source>
            <translation>Zum Zugriffsbericht der Aufnahmen</translation>
        </message>
        <message>
            <source>Export the clip-access report shown (CSV)</source>
            <translation>Angezeigten Zugriffsbericht exportieren (CSV)</translation>
        </message>
        <message>
            <source>Go to the clip viewer</source>
            <translation>Zum Clip-Viewer</translation>
        </message>
        <message>
            <source>Open the selected recording … (in the list of recordings)</source>
            <translation>Gewählte Aufnahme öffnen … (in der Liste der Aufnahmen)</translation>
        </message>
        <message>
            <source>Play or pause</source>
            <translation>Abspielen oder anhalten</translation>
        </message>
        <message>
            <source>Next frame</source>
            <translation>Nächstes Bild</translation>
        </message>
        <message>
            <source>Back 5 seconds</source>
            <translation>5 Sekunden zurück</translation>
        </message>
        <message>
            <source>Forward 5 seconds</source>
            <translation>5 Sekunden vor</translation>
        </message>
        <message>
            <source>Slower</source>
            <translation>Langsamer</translation>
        </message>
        <message>
            <source>Faster</source>
            <translation>Schneller</translation>
        </message>
        <message>
            <source>Normal speed</source>
            <translation>Normale Geschwindigkeit</translation>
        </message>
        <message>
            <source>Sound off or on</source>
            <translation>Ton aus oder an</translation>
        </message>
        <message>
            <source>Louder</source>
            <translation>Lauter</translation>
        </message>
        <message>
            <source>Quieter</source>
            <translation>Leiser</translation>
        </message>
        <message>
            <source>Full screen on or off (Esc leaves it)</source>
            <translation>Vollbild an oder aus (Esc verlässt es)</translation>
        </message>
        <message>
            <source>Bookmark the current position with a note …</source>
            <translation>Lesezeichen mit Notiz an der aktuellen Stelle setzen …</translation>
        </message>
        <message>
            <source>Keep the current picture as evidence (snapshot)</source>
            <translation>Aktuelles Bild als Beweismittel sichern (Standbild)</translation>
        </message>
    </context>
    <context>
        <name>ConflictDialog</name>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Assigned units</source>
            <translation>Zugeteilte Einheiten</translation>
        </message>
        <message>
            <source>Outcome</source>
            <translation>Einsatzergebnis</translation>
        </message>
        <message>
            <source>Changed by someone else – %1</source>
            <translation>Von jemand anderem geändert – %1</translation>
        </message>
        <message>
            <source>Incident %1 was changed on another workstation while you were working on it. Nothing was overwritten. Compare the values and choose how to go on.</source>
            <translation>Einsatz %1 wurde an einem anderen Arbeitsplatz geändert, während Sie ihn bearbeitet haben. Es wurde nichts überschrieben. Vergleichen Sie die Werte und entscheiden Sie, wie es weitergeht.</translation>
        </message>
        <message>
            <source>Field</source>
            <translation>Feld</translation>
        </message>
        <message>
            <source>Your value</source>
            <translation>Ihr Wert</translation>
        </message>
        <message>
            <source>Current value (changed by someone else)</source>
            <translation>Aktueller Wert (von jemand anderem geändert)</translation>
        </message>
        <message>
            <source>What happened</source>
            <translation>Was ist passiert</translation>
        </message>
        <message>
            <source>Changed by both – re-applying replaces the other value</source>
            <translation>Von beiden geändert – erneutes Übernehmen ersetzt den anderen Wert</translation>
        </message>
        <message>
            <source>Changed by someone else – kept</source>
            <translation>Von jemand anderem geändert – bleibt erhalten</translation>
        </message>
        <message>
            <source>Your change</source>
            <translation>Ihre Änderung</translation>
        </message>
        <message>
            <source>You wanted to: %1</source>
            <translation>Ihre beabsichtigte Aktion: %1</translation>
        </message>
        <message>
            <source>Journal entries since your version:</source>
            <translation>Einträge im Einsatztagebuch seit Ihrer Version:</translation>
        </message>
        <message>
            <source>Reload (discard my changes)</source>
            <translation>Neu laden (meine Änderungen verwerfen)</translation>
        </message>
        <message>
            <source>Re-apply my changes</source>
            <translation>Meine Änderungen erneut übernehmen</translation>
        </message>
    </context>
    <context>
        <name>ConvertToIncidentDialog</name>
        <message>
            <source>Open an incident from report %1</source>
            <translation>Einsatz aus Meldung %1 anlegen</translation>
        </message>
        <message>
            <source>&amp;Open incident</source>
            <translation>Einsatz &amp;anlegen</translation>
        </message>
        <message>
            <source>– choose –</source>
            <translation>– wählen –</translation>
        </message>
        <message>
            <source>&amp;Category:</source>
            <translation>&amp;Kategorie:</translation>
        </message>
        <message>
            <source>&amp;Priority:</source>
            <translation>&amp;Priorität:</translation>
        </message>
    </context>
    <context>
        <name>DashboardPane</name>
        <message>
            <source>Incidents</source>
            <translation>Einsätze</translation>
        </message>
        <message>
            <source>Call to dispatch (median)</source>
            <translation>Anruf bis Alarmierung (Median)</translation>
        </message>
        <message>
            <source>Dispatch to arrival (median)</source>
            <translation>Alarmierung bis Eintreffen (Median)</translation>
        </message>
        <message>
            <source>Dispatched late</source>
            <translation>Verspätet alarmiert</translation>
        </message>
        <message>
            <source>Assaults on staff</source>
            <translation>Angriffe auf Einsatzkräfte</translation>
        </message>
        <message>
            <source>Joint patrols with the police</source>
            <translation>Gemeinsame Streifen mit der Polizei</translation>
        </message>
        <message>
            <source>Bodycam activations</source>
            <translation>Bodycam-Aktivierungen</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>Heute</translation>
        </message>
        <message>
            <source>This week</source>
            <translation>Diese Woche</translation>
        </message>
        <message>
            <source>Incidents today by hour</source>
            <translation>Einsätze heute nach Uhrzeit</translation>
        </message>
        <message>
            <source>Incidents this week by category</source>
            <translation>Einsätze dieser Woche nach Kategorie</translation>
        </message>
        <message>
            <source>Today (%1)</source>
            <translation>Heute (%1)</translation>
        </message>
        <message>
            <source>Week (%1)</source>
            <translation>Woche (%1)</translation>
        </message>
        <message>
            <source>As of %1, updated live</source>
            <translation>Stand %1, laufend aktualisiert</translation>
        </message>
        <message>
            <source>Dashboard</source>
            <translation>Lagebild</translation>
        </message>
    </context>
    <context>
        <name>DeletionTableModel</name>
        <message>
            <source>Recording</source>
            <translation>Aufnahme</translation>
        </message>
        <message>
            <source>Recorded</source>
            <translation>Erfasst</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fällig</translation>
        </message>
        <message>
            <source>Deleted</source>
            <translation>Gelöscht</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>File removed</source>
            <translation>Datei entfernt</translation>
        </message>
        <message>
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <source>not yet</source>
            <translation>noch nicht</translation>
        </message>
    </context>
    <context>
        <name>DiscontinueDialog</name>
        <message>
            <source>Discontinue %1</source>
            <translation>%1 einstellen</translation>
        </message>
        <message>
            <source>&amp;Reason:</source>
            <translation>&amp;Grund:</translation>
        </message>
        <message>
            <source>reason</source>
            <translation>Grund</translation>
        </message>
    </context>
    <context>
        <name>EmergencyAlarm</name>
        <message>
            <source>EMERGENCY (Notruf) of %1 is not acknowledged! A closed workstation no longer sounds the alarm.</source>
            <translation>NOTRUF von %1 ist nicht quittiert! Ein geschlossener Arbeitsplatz alarmiert nicht mehr.</translation>
        </message>
        <message>
            <source>EMERGENCY %1</source>
            <translation>NOTRUF %1</translation>
        </message>
        <message>
            <source>Emergency of %1 acknowledged by %2 at %3</source>
            <translation>Notruf von %1 quittiert durch %2 um %3</translation>
        </message>
    </context>
    <context>
        <name>EmergencyBanner</name>
        <message>
            <source>NO ALARM SOUND on this workstation (%1): watch the screen!</source>
            <translation>KEIN ALARMTON an diesem Arbeitsplatz (%1): Bildschirm beachten!</translation>
        </message>
        <message>
            <source>Acknowledge (%1)</source>
            <translation>Quittieren (%1)</translation>
        </message>
        <message>
            <source>Only a dispatcher or the shift lead can acknowledge an emergency. Tell them at once.</source>
            <translation>Nur Disponenten oder die Schichtleitung können einen Notruf quittieren. Informieren Sie sie sofort.</translation>
        </message>
        <message>
            <source>Take over the emergency: stops the alarm on every workstation</source>
            <translation>Notruf übernehmen: beendet den Alarm an allen Arbeitsplätzen</translation>
        </message>
        <message>
            <source>EMERGENCY (Notruf) %1</source>
            <translation>NOTRUF %1</translation>
        </message>
        <message>
            <source>since %1 (%2)</source>
            <translation>seit %1 (%2)</translation>
        </message>
        <message>
            <source>outside the city</source>
            <translation>außerhalb des Stadtgebiets</translation>
        </message>
        <message>
            <source>last position %1 (%2)</source>
            <translation>letzte Position %1 (%2)</translation>
        </message>
        <message>
            <source>no position known</source>
            <translation>keine Position bekannt</translation>
        </message>
        <message>
            <source>incident %1, %2</source>
            <translation>Einsatz %1, %2</translation>
        </message>
        <message>
            <source>– position %1</source>
            <translation>– Position %1</translation>
        </message>
        <message>
            <source>OLD POSITION (%1)</source>
            <translation>ALTE POSITION (%1)</translation>
        </message>
        <message>
            <source>Raised %1</source>
            <translation>Ausgelöst %1</translation>
        </message>
    </context>
    <context>
        <name>ErrorReporter</name>
        <message>
            <source>Details are in the log file %1.</source>
            <translation>Einzelheiten stehen in der Protokolldatei %1.</translation>
        </message>
        <message>
            <source>An unexpected error occurred (%1). The program keeps running; your data is safe. %2</source>
            <translation>Ein unerwarteter Fehler ist aufgetreten (%1). Das Programm läuft weiter; Ihre Daten sind sicher. %2</translation>
        </message>
        <message>
            <source>KOD-Leitstelle</source>
            <translation>KOD-Leitstelle</translation>
        </message>
    </context>
    <context>
        <name>EvidenceExportDialog</name>
        <message>
            <source>Export recordings as evidence</source>
            <translation>Aufnahmen als Beweismittel exportieren</translation>
        </message>
        <message>
            <source>Bußgeldstelle</source>
            <translation>Bußgeldstelle</translation>
        </message>
        <message>
            <source>Staatsanwaltschaft</source>
            <translation>Staatsanwaltschaft</translation>
        </message>
        <message>
            <source>Other recipient</source>
            <translation>Andere Empfänger</translation>
        </message>
        <message>
            <source>authority or person, e.g. Stadt Leverkusen</source>
            <translation>Behörde oder Person, z. B. Stadt Leverkusen</translation>
        </message>
        <message>
            <source>e.g. request of the Bußgeldstelle, Az. …</source>
            <translation>z. B. Anforderung der Bußgeldstelle, Az. …</translation>
        </message>
        <message>
            <source>Choose …</source>
            <translation>Wählen …</translation>
        </message>
        <message>
            <source>optional: the package is then an encrypted archive (at least %1 characters)</source>
            <translation>optional: das Paket ist dann ein verschlüsseltes Archiv (mindestens %1 Zeichen)</translation>
        </message>
        <message>
            <source>Recordings:</source>
            <translation>Aufnahmen:</translation>
        </message>
        <message>
            <source>&amp;Recipient:</source>
            <translation>&amp;Empfänger:</translation>
        </message>
        <message>
            <source>&amp;Name of the recipient:</source>
            <translation>&amp;Name des Empfängers:</translation>
        </message>
        <message>
            <source>R&amp;eason:</source>
            <translation>&amp;Grund:</translation>
        </message>
        <message>
            <source>Target &amp;folder:</source>
            <translation>Ziel&amp;ordner:</translation>
        </message>
        <message>
            <source>&amp;Password:</source>
            <translation>&amp;Passwort:</translation>
        </message>
        <message>
            <source>Password &amp;again:</source>
            <translation>Passwort &amp;wiederholen:</translation>
        </message>
        <message>
            <source>&amp;Export</source>
            <translation>E&amp;xportieren</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Abbrechen</translation>
        </message>
        <message>
            <source>Target folder of the evidence package</source>
            <translation>Zielordner des Beweismittelpakets</translation>
        </message>
        <message>
            <source>Please name the recipient of the export.</source>
            <translation>Bitte geben Sie den Empfänger des Exports an.</translation>
        </message>
        <message>
            <source>Please choose an existing target folder.</source>
            <translation>Bitte einen vorhandenen Zielordner wählen.</translation>
        </message>
        <message>
            <source>The two passwords differ. Please type the password twice alike.</source>
            <translation>Die beiden Passwörter unterscheiden sich. Bitte das Passwort zweimal gleich eingeben.</translation>
        </message>
        <message>
            <source>Cancelling …</source>
            <translation>Wird abgebrochen …</translation>
        </message>
        <message>
            <source>Exporting …</source>
            <translation>Wird exportiert …</translation>
        </message>
        <message>
            <source>Cancelled: the package being written was removed.</source>
            <translation>Abgebrochen: das angefangene Paket wurde entfernt.</translation>
        </message>
        <message>
            <source>Exported to:</source>
            <translation>Exportiert nach:</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Schließen</translation>
        </message>
        <message>
            <source>Already written:</source>
            <translation>Bereits geschrieben:</translation>
        </message>
    </context>
    <context>
        <name>FollowUpDialog</name>
        <message>
            <source>Follow-up for %1</source>
            <translation>Wiedervorlage für %1</translation>
        </message>
        <message>
            <source>What to check then</source>
            <translation>Was ist dann zu prüfen?</translation>
        </message>
        <message>
            <source>&amp;Remind at:</source>
            <translation>&amp;Erinnern am:</translation>
        </message>
        <message>
            <source>&amp;Note:</source>
            <translation>&amp;Vermerk:</translation>
        </message>
        <message>
            <source>Currently: %1</source>
            <translation>Bisher: %1</translation>
        </message>
        <message>
            <source>&amp;Remove follow-up</source>
            <translation>Wiedervorlage &amp;löschen</translation>
        </message>
    </context>
    <context>
        <name>FollowUpWindow</name>
        <message>
            <source>Follow-ups due</source>
            <translation>Fällige Wiedervorlagen</translation>
        </message>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Task</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Remind at</source>
            <translation>Wiedervorlage am</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Vermerk</translation>
        </message>
        <message>
            <source>&amp;Open</source>
            <translation>&amp;Öffnen</translation>
        </message>
        <message>
            <source>In &amp;15 min</source>
            <translation>In &amp;15 Min.</translation>
        </message>
        <message>
            <source>In 1 &amp;hour</source>
            <translation>In 1 &amp;Stunde</translation>
        </message>
        <message>
            <source>&amp;Done</source>
            <translation>&amp;Erledigt</translation>
        </message>
        <message>
            <source>&amp;Close</source>
            <translation>S&amp;chließen</translation>
        </message>
        <message>
            <source>%1 follow-up(s) due</source>
            <translation>%1 fällige Wiedervorlage(n)</translation>
        </message>
    </context>
    <context>
        <name>Handover</name>
        <message>
            <source>%1 cannot be written (%2).</source>
            <translation>%1 kann nicht geschrieben werden (%2).</translation>
        </message>
    </context>
    <context>
        <name>HearingDialog</name>
        <message>
            <source>Hearing notice for %1</source>
            <translation>Anhörung zu %1</translation>
        </message>
        <message>
            <source>&amp;Sent on:</source>
            <translation>&amp;Versandt am:</translation>
        </message>
        <message>
            <source>The first hearing notice restarts the limitation period (§ 33 OWiG).</source>
            <translation>Die erste Anhörung unterbricht die Verjährung; die Frist beginnt neu (§ 33 OWiG).</translation>
        </message>
        <message>
            <source>date</source>
            <translation>Datum</translation>
        </message>
        <message>
            <source>Sent on</source>
            <translation>Versandt am</translation>
        </message>
    </context>
    <context>
        <name>HoldTableModel</name>
        <message>
            <source>Recording</source>
            <translation>Aufnahme</translation>
        </message>
        <message>
            <source>State</source>
            <translation>Stand</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>Art</translation>
        </message>
        <message>
            <source>File number</source>
            <translation>Aktenzeichen</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Proposed by</source>
            <translation>Beantragt von</translation>
        </message>
        <message>
            <source>Officer</source>
            <translation>Dienstkraft</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
    </context>
    <context>
        <name>ImportDetailsForm</name>
        <message>
            <source>user name, e.g. m.mueller</source>
            <translation>Benutzername, z. B. m.mueller</translation>
        </message>
        <message>
            <source>e.g. BC-017</source>
            <translation>z. B. BC-017</translation>
        </message>
        <message>
            <source>call sign; empty: the officer's unit at that time</source>
            <translation>Funkrufname; leer: die Streife der Person zu der Zeit</translation>
        </message>
        <message>
            <source>given here:</source>
            <translation>hier angeben:</translation>
        </message>
        <message>
            <source>the concrete danger, e.g. Bedrohung mit einer Flasche</source>
            <translation>die konkrete Gefahr, z. B. Bedrohung mit einer Flasche</translation>
        </message>
        <message>
            <source>as in the metadata</source>
            <translation>wie in den Metadaten</translation>
        </message>
        <message>
            <source>yes, announced</source>
            <translation>ja, angekündigt</translation>
        </message>
        <message>
            <source>no (imminent danger)</source>
            <translation>nein (Gefahr im Verzug)</translation>
        </message>
        <message>
            <source>inside a home (needs an order)</source>
            <translation>in einer Wohnung (nur auf Anordnung)</translation>
        </message>
        <message>
            <source>who ordered it</source>
            <translation>angeordnet von</translation>
        </message>
        <message>
            <source>Recording officer</source>
            <translation>Aufnehmende Person</translation>
        </message>
        <message>
            <source>Camera</source>
            <translation>Kamera</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>Beginn</translation>
        </message>
        <message>
            <source>Reason for recording</source>
            <translation>Anlass der Aufnahme</translation>
        </message>
        <message>
            <source>Announced</source>
            <translation>Angekündigt</translation>
        </message>
        <message>
            <source>Place</source>
            <translation>Ort</translation>
        </message>
    </context>
    <context>
        <name>InboxWatcher</name>
        <message>
            <source>Bodycam folder: watching</source>
            <translation>Bodycam-Ordner: wird überwacht</translation>
        </message>
        <message>
            <source>Watching %1 for new recordings.</source>
            <translation>%1 wird auf neue Aufnahmen überwacht.</translation>
        </message>
        <message>
            <source>Bodycam folder: %1 imported, %2 not</source>
            <translation>Bodycam-Ordner: %1 importiert, %2 nicht</translation>
        </message>
        <message>
            <source>Latest results (%1):</source>
            <translation>Letzte Ergebnisse (%1):</translation>
        </message>
    </context>
    <context>
        <name>IncidentActionFlows</name>
        <message>
            <source>close the incident with the outcome “%1”</source>
            <translation>den Einsatz mit dem Ergebnis „%1“ abschließen</translation>
        </message>
        <message>
            <source>Close anyway</source>
            <translation>Trotzdem abschließen</translation>
        </message>
        <message>
            <source>reopen the incident (reason: %1)</source>
            <translation>den Einsatz wiedereröffnen (Grund: %1)</translation>
        </message>
        <message>
            <source>Reopen anyway</source>
            <translation>Trotzdem wiedereröffnen</translation>
        </message>
        <message>
            <source>Unsaved changes</source>
            <translation>Ungespeicherte Änderungen</translation>
        </message>
        <message>
            <source>You changed incident %1 without saving. Save the changes?</source>
            <translation>Sie haben Einsatz %1 geändert, aber nicht gespeichert. Änderungen speichern?</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>Speichern</translation>
        </message>
        <message>
            <source>Discard</source>
            <translation>Verwerfen</translation>
        </message>
        <message>
            <source>Keep editing</source>
            <translation>Weiter bearbeiten</translation>
        </message>
    </context>
    <context>
        <name>IncidentDetailPane</name>
        <message>
            <source>change incidents</source>
            <translation>Einsätze ändern</translation>
        </message>
        <message>
            <source>write journal notes</source>
            <translation>Vermerke schreiben</translation>
        </message>
        <message>
            <source>assign or release units</source>
            <translation>Einheiten zuteilen oder entlassen</translation>
        </message>
        <message>
            <source>Select an incident in the queue.</source>
            <translation>Wählen Sie einen Einsatz in der Einsatzliste aus.</translation>
        </message>
        <message>
            <source>Incident detail</source>
            <translation>Einsatzdetails</translation>
        </message>
        <message>
            <source>The incident detail has changes that are not saved.</source>
            <translation>In der Einsatzdetailansicht gibt es Änderungen, die nicht gespeichert sind.</translation>
        </message>
    </context>
    <context>
        <name>IncidentFieldsForm</name>
        <message>
            <source>Incident data</source>
            <translation>Einsatzdaten</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>Speichern</translation>
        </message>
        <message>
            <source>Save the changed fields (Ctrl+S)</source>
            <translation>Geänderte Felder speichern (Strg+S)</translation>
        </message>
        <message>
            <source>Revert</source>
            <translation>Zurücksetzen</translation>
        </message>
        <message>
            <source>Discard your changes and show the current data</source>
            <translation>Ihre Änderungen verwerfen und die aktuellen Daten anzeigen</translation>
        </message>
    </context>
    <context>
        <name>IncidentHeader</name>
        <message>
            <source>No address</source>
            <translation>Keine Adresse</translation>
        </message>
        <message>
            <source>District unknown</source>
            <translation>Stadtteil unbekannt</translation>
        </message>
        <message>
            <source>no coordinates</source>
            <translation>keine Koordinaten</translation>
        </message>
        <message>
            <source>Outcome: %1</source>
            <translation>Ergebnis: %1</translation>
        </message>
        <message>
            <source>Received %1</source>
            <translation>Eingang %1</translation>
        </message>
        <message>
            <source>running %1</source>
            <translation>läuft seit %1</translation>
        </message>
        <message>
            <source>Dispatched %1 (+%2)</source>
            <translation>Alarmiert %1 (+%2)</translation>
        </message>
        <message>
            <source>Not dispatched</source>
            <translation>Nicht alarmiert</translation>
        </message>
        <message>
            <source>On scene %1 (+%2)</source>
            <translation>Am Einsatzort %1 (+%2)</translation>
        </message>
        <message>
            <source>En route for %1</source>
            <translation>Anfahrt seit %1</translation>
        </message>
        <message>
            <source>Closed %1 (total %2)</source>
            <translation>Abgeschlossen %1 (gesamt %2)</translation>
        </message>
    </context>
    <context>
        <name>IncidentQueueTableModel</name>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Prio</source>
            <translation>Prio</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>District</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Units</source>
            <translation>Einheiten</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Eingang</translation>
        </message>
        <message>
            <source>Since call</source>
            <translation>Laufzeit</translation>
        </message>
        <message>
            <source>Since dispatch</source>
            <translation>seit Alarm</translation>
        </message>
        <message>
            <source>Time since the call came in (until the incident closed)</source>
            <translation>Zeit seit Eingang des Anrufs (bei abgeschlossenen Einsätzen bis zum Abschluss)</translation>
        </message>
        <message>
            <source>Time since the first unit was dispatched (until the incident closed)</source>
            <translation>Zeit seit Alarmierung der ersten Einheit (bei abgeschlossenen Einsätzen bis zum Abschluss)</translation>
        </message>
        <message>
            <source>Saved on this workstation only – it is sent as soon as the database connection is back.</source>
            <translation>Nur an diesem Arbeitsplatz gespeichert – wird übertragen, sobald die Datenbankverbindung wieder besteht.</translation>
        </message>
        <message>
            <source>EMERGENCY · %1</source>
            <translation>NOTRUF · %1</translation>
        </message>
    </context>
    <context>
        <name>IncidentQueueView</name>
        <message>
            <source>Search number, address, description, caller … (3 characters or more)</source>
            <translation>Nummer, Adresse, Beschreibung, meldende Person suchen … (ab 3 Zeichen)</translation>
        </message>
        <message>
            <source>All statuses</source>
            <translation>Alle Status</translation>
        </message>
        <message>
            <source>All categories</source>
            <translation>Alle Kategorien</translation>
        </message>
        <message>
            <source>All priorities</source>
            <translation>Alle Prioritäten</translation>
        </message>
        <message>
            <source>All districts</source>
            <translation>Alle Stadtteile</translation>
        </message>
        <message>
            <source>Open only</source>
            <translation>Nur offene</translation>
        </message>
        <message>
            <source>1 incident</source>
            <translation>1 Einsatz</translation>
        </message>
        <message>
            <source>%1 incidents</source>
            <translation>%1 Einsätze</translation>
        </message>
        <message>
            <source>more than %1 incidents</source>
            <translation>mehr als %1 Einsätze</translation>
        </message>
        <message>
            <source>%1, filtered</source>
            <translation>%1, gefiltert</translation>
        </message>
        <message>
            <source>As of %1 – not updated</source>
            <translation>Stand %1 – nicht aktualisiert</translation>
        </message>
    </context>
    <context>
        <name>JournalSection</name>
        <message>
            <source>Journal</source>
            <translation>Einsatztagebuch</translation>
        </message>
        <message>
            <source>Add note</source>
            <translation>Vermerk hinzufügen</translation>
        </message>
        <message>
            <source>Add the note to the journal (Ctrl+Enter)</source>
            <translation>Vermerk ins Einsatztagebuch übernehmen (Strg+Enter)</translation>
        </message>
        <message>
            <source>Note after closing – Ctrl+Enter adds it to the journal</source>
            <translation>Vermerk nach Abschluss – Strg+Enter trägt ihn ins Einsatztagebuch ein</translation>
        </message>
        <message>
            <source>Note for the journal – Ctrl+Enter adds it</source>
            <translation>Vermerk für das Einsatztagebuch – Strg+Enter fügt ihn hinzu</translation>
        </message>
        <message>
            <source>Opened</source>
            <translation>Angelegt</translation>
        </message>
        <message>
            <source>Change</source>
            <translation>Änderung</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Vermerk</translation>
        </message>
        <message>
            <source>Note after closing</source>
            <translation>Vermerk nach Abschluss</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Abgeschlossen</translation>
        </message>
        <message>
            <source>Reopened</source>
            <translation>Wiedereröffnet</translation>
        </message>
    </context>
    <context>
        <name>LinkRecordingDialog</name>
        <message>
            <source>Bodycam recording as evidence for %1</source>
            <translation>Bodycam-Aufnahme als Beweismittel zu %1</translation>
        </message>
        <message>
            <source>optional, e.g. minute 0:40 shows the act</source>
            <translation>optional, z. B. Minute 0:40 zeigt die Tat</translation>
        </message>
        <message>
            <source>A hold (OWi proceedings, file number %1) is proposed on the recording; it is kept from now on and a second person confirms the hold.</source>
            <translation>Für die Aufnahme wird eine Sperre beantragt (OWi-Verfahren, Aktenzeichen %1); sie bleibt ab jetzt erhalten, und eine zweite Person bestätigt die Sperre.</translation>
        </message>
        <message>
            <source>&amp;Recording:</source>
            <translation>&amp;Aufnahme:</translation>
        </message>
        <message>
            <source>&amp;Note:</source>
            <translation>&amp;Vermerk:</translation>
        </message>
        <message>
            <source>There is no recording of this case's officer, incident or time.</source>
            <translation>Es gibt keine Aufnahme der Einsatzkraft, des Einsatzes oder der Tatzeit dieses Falls.</translation>
        </message>
        <message>
            <source>Please choose a recording.</source>
            <translation>Bitte eine Aufnahme wählen.</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <source>KOD-Leitstelle – Login</source>
            <translation>KOD-Leitstelle – Anmeldung</translation>
        </message>
        <message>
            <source>Database: %1</source>
            <translation>Datenbank: %1</translation>
        </message>
        <message>
            <source>User name</source>
            <translation>Benutzername</translation>
        </message>
        <message>
            <source>Password</source>
            <translation>Passwort</translation>
        </message>
        <message>
            <source>Log in</source>
            <translation>Anmelden</translation>
        </message>
        <message>
            <source>Control room of the municipal public-order service</source>
            <translation>Leitstelle des Kommunalen Ordnungsdienstes</translation>
        </message>
        <message>
            <source>Checking …</source>
            <translation>Wird geprüft …</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>KOD-Leitstelle – %1</source>
            <translation>KOD-Leitstelle – %1</translation>
        </message>
        <message>
            <source>Incident queue</source>
            <translation>Einsatzliste</translation>
        </message>
        <message>
            <source>The incident is not in the current queue view (check the filter).</source>
            <translation>Der Einsatz ist in der aktuellen Ansicht der Einsatzliste nicht enthalten (Filter prüfen).</translation>
        </message>
        <message>
            <source>Connecting …</source>
            <translation>Verbindung wird hergestellt …</translation>
        </message>
        <message>
            <source>The database server no longer accepts your login (account disabled or password changed). Please log in again or ask the administration.</source>
            <translation>Der Datenbankserver nimmt Ihre Anmeldung nicht mehr an (Konto gesperrt oder Passwort geändert). Bitte melden Sie sich neu an oder wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>● connected</source>
            <translation>● verbunden</translation>
        </message>
        <message>
            <source>● NO DATABASE CONNECTION</source>
            <translation>● KEINE DATENBANKVERBINDUNG</translation>
        </message>
        <message>
            <source>No connection to the database since %1 – the data shown is from that time. New incidents and notes are kept on this workstation and sent automatically. Reconnecting …</source>
            <translation>Seit %1 keine Verbindung zur Datenbank – die angezeigten Daten haben diesen Stand. Neue Einsätze und Vermerke werden an diesem Arbeitsplatz gespeichert und automatisch übertragen. Die Verbindung wird wiederhergestellt …</translation>
        </message>
        <message>
            <source>(next attempt in %1 s)</source>
            <translation>(nächster Versuch in %1 s)</translation>
        </message>
    </context>
    <context>
        <name>MapLayers</name>
        <message>
            <source>Select a unit on the board or the map first.</source>
            <translation>Bitte zuerst eine Einheit in der Statusübersicht oder auf der Karte auswählen.</translation>
        </message>
        <message>
            <source>Legend</source>
            <translation>Legende</translation>
        </message>
        <message>
            <source>Railway stations</source>
            <translation>Bahnhöfe</translation>
        </message>
        <message>
            <source>Schools</source>
            <translation>Schulen</translation>
        </message>
        <message>
            <source>Trails</source>
            <translation>Spuren</translation>
        </message>
        <message>
            <source>Proposed units</source>
            <translation>Vorgeschlagene Einheiten</translation>
        </message>
        <message>
            <source>Trail of the last hour</source>
            <translation>Spur der letzten Stunde</translation>
        </message>
        <message>
            <source>Proposed unit with distance</source>
            <translation>Vorgeschlagene Einheit mit Entfernung</translation>
        </message>
        <message>
            <source>No position history is kept (setting units.position_retention_hours is 0), so %1 has no trail.</source>
            <translation>Es werden keine Positionen gespeichert (Einstellung units.position_retention_hours ist 0), daher gibt es für %1 keine Spur.</translation>
        </message>
        <message>
            <source>%1 has no recorded positions in the last hour.</source>
            <translation>Für %1 sind in der letzten Stunde keine Positionen gespeichert.</translation>
        </message>
        <message>
            <source>%1 · trail since %2</source>
            <translation>%1 · Spur seit %2</translation>
        </message>
    </context>
    <context>
        <name>MapPane</name>
        <message>
            <source>Map</source>
            <translation>Lagekarte</translation>
        </message>
        <message>
            <source>Position %1</source>
            <translation>Position %1</translation>
        </message>
        <message>
            <source>Units</source>
            <translation>Einheiten</translation>
        </message>
        <message>
            <source>Open incidents</source>
            <translation>Offene Einsätze</translation>
        </message>
        <message>
            <source>Stadtteile</source>
            <translation>Stadtteile</translation>
        </message>
        <message>
            <source>Stadtteil borders: official data (%1).</source>
            <translation>Stadtteilgrenzen: amtliche Daten (%1).</translation>
        </message>
        <message>
            <source>Stadtteile (approximate)</source>
            <translation>Stadtteile (ungefähr)</translation>
        </message>
        <message>
            <source>Stadtteil borders are approximate.</source>
            <translation>Stadtteilgrenzen sind ungefähr.</translation>
        </message>
        <message>
            <source>The map files are missing (%1). Run scripts/setup.sh.</source>
            <translation>Die Dateien der Karte fehlen (%1). Bitte scripts/setup.sh ausführen.</translation>
        </message>
    </context>
    <context>
        <name>MapPick</name>
        <message>
            <source>Taking a call: a click on the map sets the location.</source>
            <translation>Neuer Einsatz: Ein Klick in die Karte setzt den Einsatzort.</translation>
        </message>
    </context>
    <context>
        <name>Navigator</name>
        <message>
            <source>It is not in the current list (check the filter or search).</source>
            <translation>Nicht in der aktuellen Liste (Filter oder Suche prüfen).</translation>
        </message>
    </context>
    <context>
        <name>OffenceCasePane</name>
        <message>
            <source>Offence cases</source>
            <translation>OWi-Fälle</translation>
        </message>
        <message>
            <source>Case %1 has no place with coordinates.</source>
            <translation>Fall %1 hat keinen Tatort mit Koordinaten.</translation>
        </message>
        <message>
            <source>personal data removed on %1</source>
            <translation>Personendaten gelöscht am %1</translation>
        </message>
        <message>
            <source>unknown</source>
            <translation>unbekannt</translation>
        </message>
        <message>
            <source>(removed)</source>
            <translation>(gelöscht)</translation>
        </message>
        <message>
            <source>Witness %1: %2</source>
            <translation>Zeuge %1: %2</translation>
        </message>
        <message>
            <source>Bodycam recording no. %1: %2</source>
            <translation>Bodycam-Aufnahme Nr. %1: %2</translation>
        </message>
        <message>
            <source>Case</source>
            <translation>Fall</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Offence</source>
            <translation>Tatbestand</translation>
        </message>
        <message>
            <source>Legal basis</source>
            <translation>Rechtsgrundlage</translation>
        </message>
        <message>
            <source>Person concerned</source>
            <translation>Betroffene Person</translation>
        </message>
        <message>
            <source>Time and place</source>
            <translation>Tatzeit und Tatort</translation>
        </message>
        <message>
            <source>Description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source>Culpability</source>
            <translation>Schuldform</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Betrag</translation>
        </message>
        <message>
            <source>Time-barred after</source>
            <translation>Verjährt nach dem</translation>
        </message>
        <message>
            <source>Add witness …</source>
            <translation>Zeuge hinzufügen …</translation>
        </message>
        <message>
            <source>Bodycam recording as evidence …</source>
            <translation>Bodycam-Aufnahme als Beweismittel …</translation>
        </message>
        <message>
            <source>Evidence</source>
            <translation>Beweismittel</translation>
        </message>
        <message>
            <source>History</source>
            <translation>Verlauf</translation>
        </message>
        <message>
            <source>No case selected</source>
            <translation>Kein Fall gewählt</translation>
        </message>
        <message>
            <source>revision %1</source>
            <translation>Fassung %1</translation>
        </message>
        <message>
            <source>intent</source>
            <translation>vorsätzlich</translation>
        </message>
        <message>
            <source>negligence</source>
            <translation>fahrlässig</translation>
        </message>
        <message>
            <source>without a fee</source>
            <translation>ohne Verwarnungsgeld</translation>
        </message>
        <message>
            <source>New case …</source>
            <translation>Neuer Fall …</translation>
        </message>
        <message>
            <source>Print …</source>
            <translation>Drucken …</translation>
        </message>
        <message>
            <source>Ctrl+Shift+O new case · Alt+Enter next step (1–6) · Ctrl+P print · the list follows every change</source>
            <translation>Strg+Umschalt+O neuer Fall · Alt+Eingabe nächster Schritt (1–6) · Strg+P drucken · die Liste folgt jeder Änderung</translation>
        </message>
        <message>
            <source>1 open case</source>
            <translation>1 offener Fall</translation>
        </message>
        <message>
            <source>%1 open cases</source>
            <translation>%1 offene Fälle</translation>
        </message>
        <message>
            <source>1 case runs out within the warning period</source>
            <translation>1 Fall verjährt bald</translation>
        </message>
        <message>
            <source>%1 cases run out within the warning period</source>
            <translation>%1 Fälle verjähren bald</translation>
        </message>
        <message>
            <source> (%1 days)</source>
            <translation> (in %1 Tagen oder weniger)</translation>
        </message>
        <message>
            <source>first: %1 on %2</source>
            <translation>zuerst: %1 am %2</translation>
        </message>
        <message>
            <source>Checked</source>
            <translation>Geprüft</translation>
        </message>
        <message>
            <source>Verwarnung …</source>
            <translation>Verwarnung …</translation>
        </message>
        <message>
            <source>Payment received</source>
            <translation>Zahlung eingegangen</translation>
        </message>
        <message>
            <source>Hearing notice sent …</source>
            <translation>Anhörung versandt …</translation>
        </message>
        <message>
            <source>Hand over to the Bußgeldstelle</source>
            <translation>An Bußgeldstelle abgeben</translation>
        </message>
        <message>
            <source>Discontinue …</source>
            <translation>Einstellen …</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1: %2</translation>
        </message>
    </context>
    <context>
        <name>OffenceCaseTableModel</name>
        <message>
            <source>File no.</source>
            <translation>Aktenzeichen</translation>
        </message>
        <message>
            <source>Offence</source>
            <translation>Tatbestand</translation>
        </message>
        <message>
            <source>Person concerned</source>
            <translation>Betroffene(r)</translation>
        </message>
        <message>
            <source>Time of act</source>
            <translation>Tatzeit</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Time-barred after</source>
            <translation>Verjährt nach dem</translation>
        </message>
        <message>
            <source>Days left</source>
            <translation>Tage</translation>
        </message>
        <message>
            <source>time-barred</source>
            <translation>verjährt</translation>
        </message>
    </context>
    <context>
        <name>OffenceDialogs</name>
        <message>
            <source>%1: please enter as DD.MM.YYYY, e.g. 17.05.1980</source>
            <translation>%1: bitte als TT.MM.JJJJ eingeben, z. B. 17.05.1980</translation>
        </message>
    </context>
    <context>
        <name>OffencePrinting</name>
        <message>
            <source>&amp;1 Bescheinigung (Verwarnung) …</source>
            <translation>&amp;1 Bescheinigung (Verwarnung) …</translation>
        </message>
        <message>
            <source>&amp;2 Anhörungsbogen …</source>
            <translation>&amp;2 Anhörungsbogen …</translation>
        </message>
        <message>
            <source>&amp;3 Anzeige …</source>
            <translation>&amp;3 Anzeige …</translation>
        </message>
        <message>
            <source>&amp;4 Hand-over file for the Bußgeldstelle …</source>
            <translation>&amp;4 Abgabedatei für die Bußgeldstelle …</translation>
        </message>
        <message>
            <source>Folder for the hand-over file</source>
            <translation>Ordner für die Abgabedatei</translation>
        </message>
        <message>
            <source>Hand-over written: %1</source>
            <translation>Abgabe geschrieben: %1</translation>
        </message>
    </context>
    <context>
        <name>OutboxController</name>
        <message>
            <source>✉ %1 offline, %2 not transferred</source>
            <translation>✉ %1 offline, %2 nicht übertragen</translation>
        </message>
        <message>
            <source>✉ %1 stored offline</source>
            <translation>✉ %1 offline gespeichert</translation>
        </message>
        <message>
            <source>Incidents and notes recorded without a database connection. They are transferred automatically when the connection is back. Click for details.</source>
            <translation>Ohne Datenbankverbindung erfasste Einsätze und Vermerke. Sie werden automatisch übertragen, sobald die Verbindung wieder besteht. Für Einzelheiten klicken.</translation>
        </message>
    </context>
    <context>
        <name>OutboxDialog</name>
        <message>
            <source>Offline outbox</source>
            <translation>Offline-Ausgang</translation>
        </message>
        <message>
            <source>Please check after the transfer:</source>
            <translation>Nach der Übertragung bitte prüfen:</translation>
        </message>
        <message>
            <source>Transfer now</source>
            <translation>Jetzt übertragen</translation>
        </message>
        <message>
            <source>Discard failed entries</source>
            <translation>Fehlgeschlagene Einträge verwerfen</translation>
        </message>
        <message>
            <source>Removes the entries the server refused. Copy their text first if you still need it.</source>
            <translation>Entfernt die Einträge, die der Server abgelehnt hat. Kopieren Sie vorher deren Text, falls Sie ihn noch brauchen.</translation>
        </message>
        <message>
            <source>NOT TRANSFERRED: %1 – %2</source>
            <translation>NICHT ÜBERTRAGEN: %1 – %2</translation>
        </message>
        <message>
            <source>Waiting to be transferred: %1</source>
            <translation>Warten auf Übertragung: %1</translation>
        </message>
    </context>
    <context>
        <name>PlaceLabel</name>
        <message>
            <source>outside the city</source>
            <translation>außerhalb des Stadtgebiets</translation>
        </message>
        <message>
            <source>no coordinates (free text)</source>
            <translation>keine Koordinaten (Freitext)</translation>
        </message>
        <message>
            <source>Address list not available: %1</source>
            <translation>Adressverzeichnis nicht verfügbar: %1</translation>
        </message>
    </context>
    <context>
        <name>PositionAge</name>
        <message>
            <source>age unknown</source>
            <translation>Alter unbekannt</translation>
        </message>
        <message>
            <source>%1 s ago</source>
            <translation>vor %1 s</translation>
        </message>
        <message>
            <source>%1 min ago</source>
            <translation>vor %1 min</translation>
        </message>
        <message>
            <source>%1 h %2 min ago</source>
            <translation>vor %1 h %2 min</translation>
        </message>
        <message>
            <source>from %1</source>
            <translation>vom %1</translation>
        </message>
    </context>
    <context>
        <name>PrintDialogs</name>
        <message>
            <source>PDF files (*.pdf)</source>
            <translation>PDF-Dateien (*.pdf)</translation>
        </message>
        <message>
            <source>Save as PDF</source>
            <translation>Als PDF speichern</translation>
        </message>
    </context>
    <context>
        <name>Printing</name>
        <message>
            <source>Page %1 of %2</source>
            <translation>Seite %1 von %2</translation>
        </message>
        <message>
            <source>Printed %1</source>
            <translation>Gedruckt am %1</translation>
        </message>
        <message>
            <source>The printer or the file cannot be written to.</source>
            <translation>Der Drucker oder die Datei kann nicht beschrieben werden.</translation>
        </message>
    </context>
    <context>
        <name>ProposeHoldDialog</name>
        <message>
            <source>Propose a hold on recording no. %1</source>
            <translation>Sperre für Aufnahme Nr. %1 beantragen</translation>
        </message>
        <message>
            <source>The recording is kept from now on. The hold is in force once a second person (the shift lead) confirms it.</source>
            <translation>Die Aufnahme bleibt ab jetzt erhalten. Die Sperre gilt, sobald eine zweite Person (die Schichtleitung) sie bestätigt.</translation>
        </message>
        <message>
            <source>&amp;Kind:</source>
            <translation>&amp;Art:</translation>
        </message>
        <message>
            <source>&amp;File number (Aktenzeichen):</source>
            <translation>A&amp;ktenzeichen:</translation>
        </message>
        <message>
            <source>&amp;Reason:</source>
            <translation>&amp;Grund:</translation>
        </message>
        <message>
            <source>required for proceedings</source>
            <translation>für Verfahren erforderlich</translation>
        </message>
        <message>
            <source>if there is one</source>
            <translation>falls vorhanden</translation>
        </message>
    </context>
    <context>
        <name>ProposeReleaseDialog</name>
        <message>
            <source>Propose lifting the hold on recording no. %1</source>
            <translation>Aufhebung der Sperre für Aufnahme Nr. %1 beantragen</translation>
        </message>
        <message>
            <source>Hold:</source>
            <translation>Sperre:</translation>
        </message>
        <message>
            <source>&amp;Reason for lifting:</source>
            <translation>&amp;Grund der Aufhebung:</translation>
        </message>
        <message>
            <source>Once a second person confirms the lifting, the recording is deleted when its period has run out (at least %1 characters of reason).</source>
            <translation>Sobald eine zweite Person die Aufhebung bestätigt, wird die Aufnahme nach Ablauf ihrer Frist gelöscht (Grund mindestens %1 Zeichen).</translation>
        </message>
    </context>
    <context>
        <name>ReasonDialog</name>
        <message>
            <source>&amp;Reason</source>
            <translation>&amp;Grund</translation>
        </message>
    </context>
    <context>
        <name>RecordingHoldsPane</name>
        <message>
            <source>Recordings: deletion periods and holds</source>
            <translation>Aufnahmen: Löschfristen und Sperren</translation>
        </message>
        <message>
            <source>proposed – waiting for confirmation</source>
            <translation>beantragt – wartet auf Bestätigung</translation>
        </message>
        <message>
            <source>in force</source>
            <translation>in Kraft</translation>
        </message>
        <message>
            <source>lifting proposed – waiting for confirmation</source>
            <translation>Aufhebung beantragt – wartet auf Bestätigung</translation>
        </message>
        <message>
            <source>No. %1 · %2 · %3 · incident %4</source>
            <translation>Nr. %1 · %2 · %3 · Einsatz %4</translation>
        </message>
        <message>
            <source> days</source>
            <translation> Tage</translation>
        </message>
        <message>
            <source>Deletions within the next</source>
            <translation>Löschungen in den nächsten</translation>
        </message>
        <message>
            <source>Propose hold …</source>
            <translation>Sperre beantragen …</translation>
        </message>
        <message>
            <source>Confirm</source>
            <translation>Bestätigen</translation>
        </message>
        <message>
            <source>Propose lifting / refuse …</source>
            <translation>Aufhebung beantragen / ablehnen …</translation>
        </message>
        <message>
            <source>Export …</source>
            <translation>Exportieren …</translation>
        </message>
        <message>
            <source>Ctrl+Shift+H propose a hold · Ctrl+Shift+J confirm (second person) · Ctrl+Shift+F propose lifting · Ctrl+Shift+X export · the lists follow every change</source>
            <translation>Strg+Umschalt+H Sperre beantragen · Strg+Umschalt+J bestätigen (zweite Person) · Strg+Umschalt+F Aufhebung beantragen · Strg+Umschalt+X exportieren · die Listen folgen jeder Änderung</translation>
        </message>
        <message>
            <source>Holds (not lifted)</source>
            <translation>Sperren (nicht aufgehoben)</translation>
        </message>
        <message>
            <source>1 recording</source>
            <translation>1 Aufnahme</translation>
        </message>
        <message>
            <source>%1 recordings</source>
            <translation>%1 Aufnahmen</translation>
        </message>
        <message>
            <source>1 hold</source>
            <translation>1 Sperre</translation>
        </message>
        <message>
            <source>%1 holds</source>
            <translation>%1 Sperren</translation>
        </message>
        <message>
            <source>1 waiting</source>
            <translation>1 wartet</translation>
        </message>
        <message>
            <source>%1 waiting</source>
            <translation>%1 warten</translation>
        </message>
        <message>
            <source>The hold on recording no. %1 is in force.</source>
            <translation>Die Sperre für Aufnahme Nr. %1 ist in Kraft.</translation>
        </message>
        <message>
            <source>The hold on recording no. %1 is lifted.</source>
            <translation>Die Sperre für Aufnahme Nr. %1 ist aufgehoben.</translation>
        </message>
        <message>
            <source>Hold on recording no. %1 proposed: a second person confirms it.</source>
            <translation>Sperre für Aufnahme Nr. %1 beantragt: eine zweite Person bestätigt sie.</translation>
        </message>
        <message>
            <source>Lifting the hold on recording no. %1 proposed.</source>
            <translation>Aufhebung der Sperre für Aufnahme Nr. %1 beantragt.</translation>
        </message>
    </context>
    <context>
        <name>RecordingImportDialog</name>
        <message>
            <source>imported</source>
            <translation>importiert</translation>
        </message>
        <message>
            <source>quarantine</source>
            <translation>Quarantäne</translation>
        </message>
        <message>
            <source>not imported</source>
            <translation>nicht importiert</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>abgebrochen</translation>
        </message>
        <message>
            <source>Import bodycam recordings</source>
            <translation>Bodycam-Aufnahmen importieren</translation>
        </message>
        <message>
            <source>Drop video files or folders here (or choose them). Each file is checked, hashed and stored encrypted; the original leaves its folder only after the stored copy was read back and matched. Files that cannot be imported go to the quarantine folder with the reason.</source>
            <translation>Videodateien oder Ordner hierher ziehen (oder auswählen). Jede Datei wird geprüft, gehasht und verschlüsselt gespeichert; das Original verlässt seinen Ordner erst, wenn die gespeicherte Kopie zurückgelesen und als gleich bestätigt wurde. Dateien, die nicht importiert werden können, kommen mit Begründung in den Quarantäneordner.</translation>
        </message>
        <message>
            <source>File</source>
            <translation>Datei</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Ergebnis</translation>
        </message>
        <message>
            <source>Add files …</source>
            <translation>Dateien hinzufügen …</translation>
        </message>
        <message>
            <source>Add folder …</source>
            <translation>Ordner hinzufügen …</translation>
        </message>
        <message>
            <source>Details missing from the camera's metadata file</source>
            <translation>Angaben, die in der Metadatendatei der Kamera fehlen</translation>
        </message>
        <message>
            <source>Import</source>
            <translation>Importieren</translation>
        </message>
        <message>
            <source>Cancel import</source>
            <translation>Import abbrechen</translation>
        </message>
        <message>
            <source>Confirm the checked incidents</source>
            <translation>Angehakte Einsätze bestätigen</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Schließen</translation>
        </message>
        <message>
            <source>waiting</source>
            <translation>wartet</translation>
        </message>
        <message>
            <source>%1 file(s) to import.</source>
            <translation>%1 Datei(en) zum Importieren.</translation>
        </message>
        <message>
            <source>Choose recordings</source>
            <translation>Aufnahmen auswählen</translation>
        </message>
        <message>
            <source>Choose a folder with recordings</source>
            <translation>Ordner mit Aufnahmen auswählen</translation>
        </message>
        <message>
            <source>Importing … the window stays usable; Cancel stops after the current step.</source>
            <translation>Import läuft … das Fenster bleibt bedienbar; „Import abbrechen“ stoppt nach dem laufenden Schritt.</translation>
        </message>
        <message>
            <source>Cancelling …</source>
            <translation>Wird abgebrochen …</translation>
        </message>
        <message>
            <source>Now: %1</source>
            <translation>Gerade: %1</translation>
        </message>
        <message>
            <source>Checked: link the recording to incident %1</source>
            <translation>Angehakt: Aufnahme mit Einsatz %1 verknüpfen</translation>
        </message>
        <message>
            <source>%1 imported, %2 moved to the quarantine folder, %3 not imported, %4 cancelled.</source>
            <translation>%1 importiert, %2 in den Quarantäneordner verschoben, %3 nicht importiert, %4 abgebrochen.</translation>
        </message>
        <message>
            <source>Check the proposed incidents and confirm them (unchecked ones stay unlinked).</source>
            <translation>Prüfen Sie die vorgeschlagenen Einsätze und bestätigen Sie sie (nicht angehakte bleiben unverknüpft).</translation>
        </message>
        <message>
            <source>imported, linked</source>
            <translation>importiert, verknüpft</translation>
        </message>
        <message>
            <source>%1 recording(s) linked to their incident.</source>
            <translation>%1 Aufnahme(n) mit ihrem Einsatz verknüpft.</translation>
        </message>
    </context>
    <context>
        <name>RecordingListPane</name>
        <message>
            <source>Bodycam recordings</source>
            <translation>Bodycam-Aufnahmen</translation>
        </message>
        <message>
            <source>Incident in the incident detail</source>
            <translation>Einsatz in der Einsatzansicht</translation>
        </message>
        <message>
            <source>One officer</source>
            <translation>Eine Person</translation>
        </message>
        <message>
            <source>All recordings</source>
            <translation>Alle Aufnahmen</translation>
        </message>
        <message>
            <source>Open …</source>
            <translation>Öffnen …</translation>
        </message>
        <message>
            <source>Import …</source>
            <translation>Importieren …</translation>
        </message>
        <message>
            <source>Recordings of incident %1</source>
            <translation>Aufnahmen zu Einsatz %1</translation>
        </message>
        <message>
            <source>No incident shown in the incident detail</source>
            <translation>Kein Einsatz in der Einsatzansicht geöffnet</translation>
        </message>
        <message>
            <source>Recordings of %1</source>
            <translation>Aufnahmen von %1</translation>
        </message>
        <message>
            <source>All recordings kept</source>
            <translation>Alle gespeicherten Aufnahmen</translation>
        </message>
        <message>
            <source>1 recording</source>
            <translation>1 Aufnahme</translation>
        </message>
        <message>
            <source>%1 recordings</source>
            <translation>%1 Aufnahmen</translation>
        </message>
        <message>
            <source>deleted automatically on the date shown unless a hold keeps them</source>
            <translation>werden am angezeigten Datum automatisch gelöscht, sofern keine Aufbewahrung angeordnet ist</translation>
        </message>
    </context>
    <context>
        <name>RecordingSummary</name>
        <message>
            <source>%1 (proposed, not confirmed)</source>
            <translation>%1 (vorgeschlagen, nicht bestätigt)</translation>
        </message>
        <message>
            <source>no incident</source>
            <translation>kein Einsatz</translation>
        </message>
        <message>
            <source>kept (hold)</source>
            <translation>aufbewahrt (Sperre)</translation>
        </message>
        <message>
            <source>%1 (due)</source>
            <translation>%1 (fällig)</translation>
        </message>
        <message>
            <source>%1 (in less than 2 days)</source>
            <translation>%1 (in weniger als 2 Tagen)</translation>
        </message>
        <message>
            <source>Recording no. %1 · %2%3 · camera %4</source>
            <translation>Aufnahme Nr. %1 · %2%3 · Kamera %4</translation>
        </message>
        <message>
            <source>%1 to %2 (%3) · incident %4</source>
            <translation>%1 bis %2 (%3) · Einsatz %4</translation>
        </message>
        <message>
            <source>Reason for recording: %1</source>
            <translation>Anlass der Aufnahme: %1</translation>
        </message>
        <message>
            <source>Deletion: %1</source>
            <translation>Löschung: %1</translation>
        </message>
    </context>
    <context>
        <name>RecordingTableModel</name>
        <message>
            <source>Start</source>
            <translation>Beginn</translation>
        </message>
        <message>
            <source>Length</source>
            <translation>Dauer</translation>
        </message>
        <message>
            <source>Officer</source>
            <translation>Dienstkraft</translation>
        </message>
        <message>
            <source>Camera</source>
            <translation>Kamera</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>Deletion</source>
            <translation>Löschung</translation>
        </message>
    </context>
    <context>
        <name>ReopenIncidentDialog</name>
        <message>
            <source>Reopen incident %1</source>
            <translation>Einsatz %1 wiedereröffnen</translation>
        </message>
        <message>
            <source>Closed with outcome: %1</source>
            <translation>Abgeschlossen mit Ergebnis: %1</translation>
        </message>
        <message>
            <source>Why is the incident reopened?</source>
            <translation>Warum wird der Einsatz wiedereröffnet?</translation>
        </message>
        <message>
            <source>Reopen</source>
            <translation>Wiedereröffnen</translation>
        </message>
    </context>
    <context>
        <name>ReportDialog</name>
        <message>
            <source>Report %1</source>
            <translation>Meldung %1</translation>
        </message>
        <message>
            <source>New report</source>
            <translation>Neue Meldung</translation>
        </message>
        <message>
            <source>In a few words: what is reported?</source>
            <translation>In wenigen Worten: Was wird gemeldet?</translation>
        </message>
        <message>
            <source>– none –</source>
            <translation>– keine –</translation>
        </message>
        <message>
            <source>Street and house number</source>
            <translation>Straße und Hausnummer</translation>
        </message>
        <message>
            <source>Phone or e-mail</source>
            <translation>Telefon oder E-Mail</translation>
        </message>
        <message>
            <source>&amp;Subject:</source>
            <translation>&amp;Betreff:</translation>
        </message>
        <message>
            <source>S&amp;ource:</source>
            <translation>Eingangs&amp;weg:</translation>
        </message>
        <message>
            <source>&amp;Received:</source>
            <translation>&amp;Eingang:</translation>
        </message>
        <message>
            <source>&amp;Category:</source>
            <translation>&amp;Kategorie:</translation>
        </message>
        <message>
            <source>&amp;Address:</source>
            <translation>&amp;Adresse:</translation>
        </message>
        <message>
            <source>Reported &amp;by:</source>
            <translation>&amp;Meldende Person:</translation>
        </message>
        <message>
            <source>C&amp;ontact:</source>
            <translation>K&amp;ontakt:</translation>
        </message>
        <message>
            <source>&amp;Text:</source>
            <translation>&amp;Text:</translation>
        </message>
        <message>
            <source>Citizens' platform:</source>
            <translation>Bürgerplattform:</translation>
        </message>
        <message>
            <source>Enter a subject for the report.</source>
            <translation>Geben Sie einen Betreff für die Meldung ein.</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Eingangsweg</translation>
        </message>
        <message>
            <source>Subject</source>
            <translation>Betreff</translation>
        </message>
        <message>
            <source>Text</source>
            <translation>Text</translation>
        </message>
        <message>
            <source>Reported by</source>
            <translation>Meldende Person</translation>
        </message>
        <message>
            <source>Contact</source>
            <translation>Kontakt</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Eingang</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
    </context>
    <context>
        <name>ReportPane</name>
        <message>
            <source>Open reports</source>
            <translation>Offene Meldungen</translation>
        </message>
        <message>
            <source>All reports</source>
            <translation>Alle Meldungen</translation>
        </message>
        <message>
            <source>Search number, subject, address, reporter …</source>
            <translation>Nummer, Betreff, Adresse, meldende Person suchen …</translation>
        </message>
        <message>
            <source>%1 reports</source>
            <translation>%1 Meldungen</translation>
        </message>
        <message>
            <source>1 report</source>
            <translation>1 Meldung</translation>
        </message>
        <message>
            <source>change reports</source>
            <translation>Meldungen ändern</translation>
        </message>
        <message>
            <source>New report …</source>
            <translation>Neue Meldung …</translation>
        </message>
        <message>
            <source>Edit …</source>
            <translation>Bearbeiten …</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>In Bearbeitung</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Abschließen</translation>
        </message>
        <message>
            <source>Convert to incident …</source>
            <translation>In Einsatz überführen …</translation>
        </message>
        <message>
            <source>Convert to task …</source>
            <translation>In Auftrag überführen …</translation>
        </message>
        <message>
            <source>Became incident %1</source>
            <translation>Überführt in Einsatz %1</translation>
        </message>
        <message>
            <source>Became task %1</source>
            <translation>Überführt in Auftrag %1</translation>
        </message>
        <message>
            <source>Show incident</source>
            <translation>Einsatz anzeigen</translation>
        </message>
        <message>
            <source>Show task</source>
            <translation>Auftrag anzeigen</translation>
        </message>
        <message>
            <source>Report %1: %2.</source>
            <translation>Meldung %1: %2.</translation>
        </message>
        <message>
            <source>Close report</source>
            <translation>Meldung schließen</translation>
        </message>
        <message>
            <source>Close report %1 “%2”? It then leaves the open reports.</source>
            <translation>Meldung %1 „%2“ schließen? Sie verschwindet dann aus den offenen Meldungen.</translation>
        </message>
        <message>
            <source>&amp;Close report</source>
            <translation>Meldung &amp;schließen</translation>
        </message>
        <message>
            <source>Reports</source>
            <translation>Meldungen</translation>
        </message>
    </context>
    <context>
        <name>ReportTableModel</name>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Eingang</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Eingangsweg</translation>
        </message>
        <message>
            <source>Subject</source>
            <translation>Betreff</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>District</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Became</source>
            <translation>Überführt in</translation>
        </message>
        <message>
            <source>Incident %1</source>
            <translation>Einsatz %1</translation>
        </message>
        <message>
            <source>Task %1</source>
            <translation>Auftrag %1</translation>
        </message>
        <message>
            <source>Double-click to show the incident in the queue</source>
            <translation>Doppelklick zeigt den Einsatz in der Einsatzliste</translation>
        </message>
        <message>
            <source>Double-click to show the task</source>
            <translation>Doppelklick zeigt den Auftrag</translation>
        </message>
        <message>
            <source>Closed on the citizens' platform</source>
            <translation>Auf der Bürgerplattform erledigt</translation>
        </message>
        <message>
            <source>Open on the citizens' platform</source>
            <translation>Auf der Bürgerplattform offen</translation>
        </message>
        <message>
            <source> (last change %1)</source>
            <translation> (letzte Änderung %1)</translation>
        </message>
        <message>
            <source>Note: %1</source>
            <translation>Hinweis: %1</translation>
        </message>
        <message>
            <source>Close the report here once you have checked it.</source>
            <translation>Schließen Sie die Meldung hier, sobald Sie sie geprüft haben.</translation>
        </message>
    </context>
    <context>
        <name>SessionEndQuestion</name>
        <message>
            <source>Quit KOD-Leitstelle</source>
            <translation>KOD-Leitstelle beenden</translation>
        </message>
        <message>
            <source>Quit the workstation (%1)?</source>
            <translation>Arbeitsplatz beenden (%1)?</translation>
        </message>
        <message>
            <source>&amp;Quit anyway</source>
            <translation>&amp;Trotzdem beenden</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>&amp;Beenden</translation>
        </message>
        <message>
            <source>Log out</source>
            <translation>Abmelden</translation>
        </message>
        <message>
            <source>Log out %1? The window closes and the login appears again.</source>
            <translation>%1 abmelden? Das Fenster wird geschlossen und die Anmeldung erscheint wieder.</translation>
        </message>
        <message>
            <source>&amp;Log out anyway</source>
            <translation>Trotzdem &amp;abmelden</translation>
        </message>
        <message>
            <source>&amp;Log out</source>
            <translation>&amp;Abmelden</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Abbrechen</translation>
        </message>
    </context>
    <context>
        <name>ShiftChoiceDialog</name>
        <message>
            <source>Shift report</source>
            <translation>Schichtbericht</translation>
        </message>
        <message>
            <source>Day the shift starts</source>
            <translation>Tag des Schichtbeginns</translation>
        </message>
        <message>
            <source>Shift</source>
            <translation>Schicht</translation>
        </message>
        <message>
            <source>Preview and print …</source>
            <translation>Vorschau und Druck …</translation>
        </message>
    </context>
    <context>
        <name>ShortcutHelpDialog</name>
        <message>
            <source>Keyboard shortcuts</source>
            <translation>Tastenkürzel</translation>
        </message>
        <message>
            <source>Area</source>
            <translation>Bereich</translation>
        </message>
        <message>
            <source>Keys</source>
            <translation>Tasten</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
    </context>
    <context>
        <name>Shortcuts</name>
        <message>
            <source>General</source>
            <translation>Allgemein</translation>
        </message>
        <message>
            <source>Incidents</source>
            <translation>Einsätze</translation>
        </message>
        <message>
            <source>Unit status board</source>
            <translation>Statustafel der Einheiten</translation>
        </message>
        <message>
            <source>Tasks and reports</source>
            <translation>Aufträge und Meldungen</translation>
        </message>
        <message>
            <source>Emergency</source>
            <translation>Notruf</translation>
        </message>
        <message>
            <source>Audit log</source>
            <translation>Audit-Protokoll</translation>
        </message>
        <message>
            <source>Unit management</source>
            <translation>Einheitenverwaltung</translation>
        </message>
        <message>
            <source>Offence cases</source>
            <translation>OWi-Fälle</translation>
        </message>
        <message>
            <source>Situation map</source>
            <translation>Lagekarte</translation>
        </message>
        <message>
            <source>Bodycam recordings</source>
            <translation>Bodycam-Aufnahmen</translation>
        </message>
    </context>
    <context>
        <name>Startup</name>
        <message>
            <source>Control-room workstation of the municipal public-order service (KOD).</source>
            <translation>Arbeitsplatz der Leitstelle des Kommunalen Ordnungsdienstes (KOD).</translation>
        </message>
        <message>
            <source>Database URL (postgresql://user:password@host:5432/db or sqlite:///file). Default: KOD_DATABASE_URL, else the per-user SQLite file.</source>
            <translation>Datenbank-URL (postgresql://benutzer:passwort@host:5432/db oder sqlite:///datei). Standard: KOD_DATABASE_URL, sonst die SQLite-Datei des jeweiligen Benutzers.</translation>
        </message>
        <message>
            <source>only check the installation (every part of the program loads), the database connection and schema, then exit without opening a window</source>
            <translation>nur die Installation (alle Programmteile laden), die Datenbankverbindung und das Schema prüfen, dann ohne Fenster beenden</translation>
        </message>
        <message>
            <source>preset the user name in the login dialog</source>
            <translation>Benutzernamen im Anmeldedialog vorbelegen</translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Fehler: %1</translation>
        </message>
        <message>
            <source>Database %1 is ready.</source>
            <translation>Datenbank %1 ist bereit.</translation>
        </message>
        <message>
            <source>A part of the program cannot be loaded: %1</source>
            <translation>Ein Teil des Programms kann nicht geladen werden: %1</translation>
        </message>
        <message>
            <source>KOD-Leitstelle %1: all parts of the program loaded.</source>
            <translation>KOD-Leitstelle %1: alle Programmteile geladen.</translation>
        </message>
        <message>
            <source>Warning: video playback is not available (libvlc): %1</source>
            <translation>Warnung: Videowiedergabe nicht verfügbar (libvlc): %1</translation>
        </message>
        <message>
            <source>Video playback (libvlc %1) ready.</source>
            <translation>Videowiedergabe (libvlc %1) bereit.</translation>
        </message>
        <message>
            <source>No screen found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start the workstation on a desktop; on a server without a screen use KOD_HEADLESS=1 scripts/start.sh, which starts a virtual one.</source>
            <translation>Kein Bildschirm gefunden (weder DISPLAY noch WAYLAND_DISPLAY ist gesetzt). Den Arbeitsplatz auf einem Desktop starten; auf einem Server ohne Bildschirm KOD_HEADLESS=1 scripts/start.sh verwenden, das einen virtuellen Bildschirm startet.</translation>
        </message>
        <message>
            <source>KOD-Leitstelle</source>
            <translation>KOD-Leitstelle</translation>
        </message>
    </context>
    <context>
        <name>StatisticsDialog</name>
        <message>
            <source>Statistics</source>
            <translation>Statistik</translation>
        </message>
        <message>
            <source>Month</source>
            <translation>Monat</translation>
        </message>
        <message>
            <source>Year</source>
            <translation>Jahr</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>Zeitraum</translation>
        </message>
        <message>
            <source>&amp;Preview and print …</source>
            <translation>&amp;Vorschau und Druck …</translation>
        </message>
        <message>
            <source>Save as &amp;PDF …</source>
            <translation>Als &amp;PDF speichern …</translation>
        </message>
        <message>
            <source>Export tables as &amp;CSV …</source>
            <translation>Tabellen als &amp;CSV exportieren …</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Schließen</translation>
        </message>
        <message>
            <source>Reading the figures for %1 …</source>
            <translation>Zahlen für %1 werden gelesen …</translation>
        </message>
        <message>
            <source>Drawing the charts …</source>
            <translation>Diagramme werden gezeichnet …</translation>
        </message>
        <message>
            <source>Preview of %1 opened.</source>
            <translation>Vorschau für %1 geöffnet.</translation>
        </message>
        <message>
            <source>Writing the pages …</source>
            <translation>Seiten werden geschrieben …</translation>
        </message>
        <message>
            <source>%1 written (%2 pages).</source>
            <translation>%1 geschrieben (%2 Seiten).</translation>
        </message>
        <message>
            <source>Writing the tables …</source>
            <translation>Tabellen werden geschrieben …</translation>
        </message>
        <message>
            <source>%1 tables written to %2.</source>
            <translation>%1 Tabellen nach %2 geschrieben.</translation>
        </message>
        <message>
            <source>Statistics-%1</source>
            <translation>Statistik-%1</translation>
        </message>
        <message>
            <source>Save statistics as PDF</source>
            <translation>Statistik als PDF speichern</translation>
        </message>
        <message>
            <source>Folder for the CSV files</source>
            <translation>Ordner für die CSV-Dateien</translation>
        </message>
    </context>
    <context>
        <name>TaskDialog</name>
        <message>
            <source>Task done</source>
            <translation>Auftrag erledigt</translation>
        </message>
        <message>
            <source>Mark task %1 “%2” as done?</source>
            <translation>Auftrag %1 „%2“ als erledigt markieren?</translation>
        </message>
        <message>
            <source>&amp;Done</source>
            <translation>&amp;Erledigt</translation>
        </message>
        <message>
            <source>Task %1</source>
            <translation>Auftrag %1</translation>
        </message>
        <message>
            <source>New task from report %1</source>
            <translation>Neuer Auftrag aus Meldung %1</translation>
        </message>
        <message>
            <source>New task</source>
            <translation>Neuer Auftrag</translation>
        </message>
        <message>
            <source>e.g. patrol the Wiesdorf pedestrian zone</source>
            <translation>z. B. Streife Fußgängerzone Wiesdorf</translation>
        </message>
        <message>
            <source>– none –</source>
            <translation>– keine –</translation>
        </message>
        <message>
            <source>Street and house number</source>
            <translation>Straße und Hausnummer</translation>
        </message>
        <message>
            <source>Due by</source>
            <translation>Erledigen bis</translation>
        </message>
        <message>
            <source>Remind at</source>
            <translation>Erinnern am</translation>
        </message>
        <message>
            <source>What to check then</source>
            <translation>Was ist dann zu prüfen?</translation>
        </message>
        <message>
            <source>– not assigned –</source>
            <translation>– nicht zugewiesen –</translation>
        </message>
        <message>
            <source>%1 (field officer)</source>
            <translation>%1 (Außendienst)</translation>
        </message>
        <message>
            <source>&amp;Title:</source>
            <translation>&amp;Titel:</translation>
        </message>
        <message>
            <source>&amp;Category:</source>
            <translation>&amp;Kategorie:</translation>
        </message>
        <message>
            <source>&amp;Address:</source>
            <translation>&amp;Adresse:</translation>
        </message>
        <message>
            <source>&amp;Due:</source>
            <translation>&amp;Fällig:</translation>
        </message>
        <message>
            <source>&amp;Assigned to:</source>
            <translation>&amp;Zugewiesen an:</translation>
        </message>
        <message>
            <source>&amp;Follow-up:</source>
            <translation>&amp;Wiedervorlage:</translation>
        </message>
        <message>
            <source>&amp;Note:</source>
            <translation>&amp;Vermerk:</translation>
        </message>
        <message>
            <source>&amp;Description:</source>
            <translation>&amp;Beschreibung:</translation>
        </message>
        <message>
            <source>From report %1</source>
            <translation>Aus Meldung %1</translation>
        </message>
        <message>
            <source>Enter a title for the task.</source>
            <translation>Geben Sie einen Titel für den Auftrag ein.</translation>
        </message>
        <message>
            <source>its status</source>
            <translation>der Status</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>Titel</translation>
        </message>
        <message>
            <source>Description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fälligkeit</translation>
        </message>
        <message>
            <source>Follow-up</source>
            <translation>Wiedervorlage</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Vermerk</translation>
        </message>
        <message>
            <source>Assigned to</source>
            <translation>Zugewiesen an</translation>
        </message>
    </context>
    <context>
        <name>TaskPane</name>
        <message>
            <source>Open tasks</source>
            <translation>Offene Aufträge</translation>
        </message>
        <message>
            <source>Due within 24 hours</source>
            <translation>In 24 Stunden fällig</translation>
        </message>
        <message>
            <source>All tasks</source>
            <translation>Alle Aufträge</translation>
        </message>
        <message>
            <source>Search number, title, address …</source>
            <translation>Nummer, Titel, Adresse suchen …</translation>
        </message>
        <message>
            <source>%1 tasks</source>
            <translation>%1 Aufträge</translation>
        </message>
        <message>
            <source>1 task</source>
            <translation>1 Auftrag</translation>
        </message>
        <message>
            <source>change tasks</source>
            <translation>Aufträge ändern</translation>
        </message>
        <message>
            <source>New task …</source>
            <translation>Neuer Auftrag …</translation>
        </message>
        <message>
            <source>Edit …</source>
            <translation>Bearbeiten …</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Erledigt</translation>
        </message>
        <message>
            <source>Follow-up …</source>
            <translation>Wiedervorlage …</translation>
        </message>
        <message>
            <source>Cancel task</source>
            <translation>Auftrag stornieren</translation>
        </message>
        <message>
            <source>Reopen</source>
            <translation>Wiedereröffnen</translation>
        </message>
        <message>
            <source>Task %1 marked done.</source>
            <translation>Auftrag %1 als erledigt markiert.</translation>
        </message>
        <message>
            <source>Cancel task %1</source>
            <translation>Auftrag %1 stornieren</translation>
        </message>
        <message>
            <source>Why is the task no longer needed?</source>
            <translation>Warum wird der Auftrag nicht mehr gebraucht?</translation>
        </message>
        <message>
            <source>Task %1 cancelled.</source>
            <translation>Auftrag %1 storniert.</translation>
        </message>
        <message>
            <source>Tasks</source>
            <translation>Aufträge</translation>
        </message>
    </context>
    <context>
        <name>TaskTableModel</name>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Task</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fällig</translation>
        </message>
        <message>
            <source>Follow-up</source>
            <translation>Wiedervorlage</translation>
        </message>
        <message>
            <source>Assigned to</source>
            <translation>Zugewiesen an</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>District</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>From report</source>
            <translation>Aus Meldung</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>Überfällig</translation>
        </message>
    </context>
    <context>
        <name>UnitAdminPane</name>
        <message>
            <source>New unit</source>
            <translation>Neue Einheit</translation>
        </message>
        <message>
            <source>e.g. KOD 35</source>
            <translation>z. B. KOD 35</translation>
        </message>
        <message>
            <source>The status is set by the dispatchers and the units themselves.</source>
            <translation>Den Status setzen die Disposition und die Einheiten selbst.</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>Speichern</translation>
        </message>
        <message>
            <source>Ctrl+Shift+U new unit · Ctrl+Enter saves · Ctrl+Shift+D out of service / back · units are never deleted: their history keeps them</source>
            <translation>Strg+Umschalt+U neue Einheit · Strg+Enter speichert · Strg+Umschalt+D außer Dienst / wieder in Dienst · Einheiten werden nie gelöscht: ihre Historie bleibt erhalten</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>&amp;Call sign</source>
            <translation>&amp;Funkrufname</translation>
        </message>
        <message>
            <source>&amp;Kind</source>
            <translation>&amp;Art</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Service</source>
            <translation>Dienst</translation>
        </message>
        <message>
            <source>Crew (tick who is on this unit)</source>
            <translation>Besatzung (ankreuzen, wer auf dieser Einheit fährt)</translation>
        </message>
        <message>
            <source>Enter a new unit (Ctrl+Shift+U)</source>
            <translation>Neue Einheit erfassen (Strg+Umschalt+U)</translation>
        </message>
        <message>
            <source>Save call sign, kind and crew (Ctrl+Enter)</source>
            <translation>Funkrufname, Art und Besatzung speichern (Strg+Enter)</translation>
        </message>
        <message>
            <source>1 unit in service</source>
            <translation>1 Einheit im Dienst</translation>
        </message>
        <message>
            <source>%1 units in service</source>
            <translation>%1 Einheiten im Dienst</translation>
        </message>
        <message>
            <source>, %1 out of service</source>
            <translation>, %1 außer Dienst</translation>
        </message>
        <message>
            <source>2 – at the station (when created)</source>
            <translation>2 – auf Wache (bei Anlage)</translation>
        </message>
        <message>
            <source>in service once saved</source>
            <translation>im Dienst, sobald gespeichert</translation>
        </message>
        <message>
            <source>Take out of service</source>
            <translation>Außer Dienst stellen</translation>
        </message>
        <message>
            <source>in service</source>
            <translation>im Dienst</translation>
        </message>
        <message>
            <source>out of service (kept)</source>
            <translation>außer Dienst (bleibt erhalten)</translation>
        </message>
        <message>
            <source>Back into service</source>
            <translation>Wieder in Dienst stellen</translation>
        </message>
        <message>
            <source>now on %1</source>
            <translation>derzeit auf %1</translation>
        </message>
        <message>
            <source>at most %1 people</source>
            <translation>höchstens %1 Personen</translation>
        </message>
        <message>
            <source>%1 created.</source>
            <translation>%1 angelegt.</translation>
        </message>
        <message>
            <source>%1 saved.</source>
            <translation>%1 gespeichert.</translation>
        </message>
        <message>
            <source>Someone else changed this unit in the meantime; it is shown as it is now. Enter your change again.</source>
            <translation>Jemand anderes hat diese Einheit inzwischen geändert; sie wird jetzt im aktuellen Stand gezeigt. Bitte die Änderung erneut eingeben.</translation>
        </message>
        <message>
            <source>%1 is in service again.</source>
            <translation>%1 ist wieder im Dienst.</translation>
        </message>
        <message>
            <source>%1 is out of service; its history is kept.</source>
            <translation>%1 ist außer Dienst; ihre Historie bleibt erhalten.</translation>
        </message>
        <message>
            <source>Unit management</source>
            <translation>Einheitenverwaltung</translation>
        </message>
    </context>
    <context>
        <name>UnitAdminTableModel</name>
        <message>
            <source>Call sign</source>
            <translation>Funkrufname</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>Art</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Crew</source>
            <translation>Besatzung</translation>
        </message>
        <message>
            <source>Service</source>
            <translation>Dienst</translation>
        </message>
        <message>
            <source>in service</source>
            <translation>im Dienst</translation>
        </message>
        <message>
            <source>out of service</source>
            <translation>außer Dienst</translation>
        </message>
        <message>
            <source>no crew</source>
            <translation>ohne Besatzung</translation>
        </message>
        <message>
            <source>single patrol</source>
            <translation>Einzelstreife</translation>
        </message>
        <message>
            <source>double patrol</source>
            <translation>Doppelstreife</translation>
        </message>
        <message>
            <source>%1 people</source>
            <translation>%1 Personen</translation>
        </message>
    </context>
    <context>
        <name>UnitProposalTableModel</name>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Distance</source>
            <translation>Entfernung</translation>
        </message>
        <message>
            <source>Position</source>
            <translation>Position</translation>
        </message>
        <message>
            <source>Current incident</source>
            <translation>Aktueller Einsatz</translation>
        </message>
        <message>
            <source>Crew</source>
            <translation>Besatzung</translation>
        </message>
        <message>
            <source>Position reported %1: the unit may be somewhere else by now.</source>
            <translation>Position gemeldet %1: die Einheit kann inzwischen woanders sein.</translation>
        </message>
        <message>
            <source>Not available: assigning it asks for confirmation or is refused.</source>
            <translation>Nicht verfügbar: Eine Zuteilung erfordert eine Bestätigung oder wird abgelehnt.</translation>
        </message>
    </context>
    <context>
        <name>UnitStatusBoard</name>
        <message>
            <source>Type a call sign to select · 0–6: set status (3: alarm confirmed) · Ctrl+Z: undo · N: emergency (Notruf) · Enter: history · menu key: more</source>
            <translation>Funkrufname tippen zum Auswählen · 0–6: Status setzen (3: Alarm bestätigt) · Strg+Z: zurücknehmen · N: Notruf · Enter: Verlauf · Menütaste: mehr</translation>
        </message>
        <message>
            <source>Trigger emergency (Notruf) …</source>
            <translation>Notruf auslösen …</translation>
        </message>
        <message>
            <source>Status history …</source>
            <translation>Statusverlauf …</translation>
        </message>
        <message>
            <source>Go to incident %1</source>
            <translation>Zu Einsatz %1 wechseln</translation>
        </message>
        <message>
            <source>Go to incident</source>
            <translation>Zum Einsatz wechseln</translation>
        </message>
        <message>
            <source>%1 is on incident %2. Set status %3 and take it off the incident?</source>
            <translation>%1 ist im Einsatz %2. Status %3 setzen und die Einheit aus dem Einsatz nehmen?</translation>
        </message>
        <message>
            <source>Take the unit off the incident</source>
            <translation>Einheit aus dem Einsatz nehmen</translation>
        </message>
        <message>
            <source>Set status %1</source>
            <translation>Status %1 setzen</translation>
        </message>
        <message>
            <source>%1: %2 → %3 (Ctrl+Z undoes it)</source>
            <translation>%1: %2 → %3 (Strg+Z nimmt es zurück)</translation>
        </message>
        <message>
            <source>%1: status change undone</source>
            <translation>%1: Statusänderung zurückgenommen</translation>
        </message>
        <message>
            <source>Trigger emergency</source>
            <translation>Notruf auslösen</translation>
        </message>
        <message>
            <source>Trigger an emergency alarm (Notruf) for %1?</source>
            <translation>Notruf für %1 auslösen?</translation>
        </message>
        <message>
            <source>Every workstation will sound the alarm until a dispatcher acknowledges it. Use this when the unit reports an emergency by radio or telephone, or to test the alarm.</source>
            <translation>An allen Arbeitsplätzen ertönt der Alarm, bis er von einem Disponenten quittiert wird. Verwenden Sie dies, wenn die Einheit einen Notfall über Funk oder Telefon meldet, oder um den Alarm zu testen.</translation>
        </message>
        <message>
            <source>Trigger alarm</source>
            <translation>Alarm auslösen</translation>
        </message>
        <message>
            <source>URGENT request to talk: %1</source>
            <translation>PRIORISIERTER Sprechwunsch: %1</translation>
        </message>
        <message>
            <source>Request to talk: %1</source>
            <translation>Sprechwunsch: %1</translation>
        </message>
        <message>
            <source>%1 of %2 available</source>
            <translation>%1 von %2 einsatzbereit</translation>
        </message>
    </context>
    <context>
        <name>UnitStatusHistoryDialog</name>
        <message>
            <source>Status history – %1</source>
            <translation>Statusverlauf – %1</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Previous</source>
            <translation>Vorher</translation>
        </message>
        <message>
            <source>User</source>
            <translation>Benutzer</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Vermerk</translation>
        </message>
        <message>
            <source>Loading …</source>
            <translation>Wird geladen …</translation>
        </message>
        <message>
            <source>%1 status changes (newest first)</source>
            <translation>%1 Statuswechsel (neueste zuerst)</translation>
        </message>
        <message>
            <source>No status changes recorded.</source>
            <translation>Keine Statuswechsel erfasst.</translation>
        </message>
    </context>
    <context>
        <name>UnitStatusTableModel</name>
        <message>
            <source>Call sign</source>
            <translation>Funkrufname</translation>
        </message>
        <message>
            <source>St.</source>
            <translation>St.</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Since</source>
            <translation>Seit</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>Crew</source>
            <translation>Besatzung</translation>
        </message>
        <message>
            <source>Position</source>
            <translation>Position</translation>
        </message>
        <message>
            <source>Device</source>
            <translation>Gerät</translation>
        </message>
        <message>
            <source>BOS status code</source>
            <translation>BOS-Status</translation>
        </message>
        <message>
            <source>Time since the last status change</source>
            <translation>Zeit seit dem letzten Statuswechsel</translation>
        </message>
        <message>
            <source>Incident the unit is assigned to</source>
            <translation>Einsatz, dem die Einheit zugeteilt ist</translation>
        </message>
        <message>
            <source>Age of the last reported position</source>
            <translation>Alter der zuletzt gemeldeten Position</translation>
        </message>
        <message>
            <source>The unit's field device: connected, or when it last reported</source>
            <translation>Das Gerät der Einheit: verbunden, oder wann es sich zuletzt gemeldet hat</translation>
        </message>
        <message>
            <source>connected</source>
            <translation>verbunden</translation>
        </message>
        <message>
            <source>Status since %1</source>
            <translation>Status seit %1</translation>
        </message>
        <message>
            <source>No position reported</source>
            <translation>Keine Position gemeldet</translation>
        </message>
        <message>
            <source>outside the city</source>
            <translation>außerhalb des Stadtgebiets</translation>
        </message>
        <message>
            <source>%1 (%2), reported %3</source>
            <translation>%1 (%2), gemeldet %3</translation>
        </message>
        <message>
            <source>No field device has reported for this unit</source>
            <translation>Für diese Einheit hat sich noch kein Gerät gemeldet</translation>
        </message>
        <message>
            <source>Field device last reported %1</source>
            <translation>Gerät zuletzt gemeldet %1</translation>
        </message>
    </context>
    <context>
        <name>UnitsSection</name>
        <message>
            <source>Units</source>
            <translation>Einheiten</translation>
        </message>
        <message>
            <source>On scene (4)</source>
            <translation>Am Einsatzort (4)</translation>
        </message>
        <message>
            <source>Release → 1</source>
            <translation>Entlassen → 1</translation>
        </message>
        <message>
            <source>Release → 2</source>
            <translation>Entlassen → 2</translation>
        </message>
        <message>
            <source>Assign unit …</source>
            <translation>Einheit zuteilen …</translation>
        </message>
        <message>
            <source>Close incident …</source>
            <translation>Einsatz abschließen …</translation>
        </message>
        <message>
            <source>Close with an outcome (Ctrl+E)</source>
            <translation>Mit Einsatzergebnis abschließen (Strg+E)</translation>
        </message>
        <message>
            <source>Reopen …</source>
            <translation>Wiedereröffnen …</translation>
        </message>
        <message>
            <source>No unit assigned.</source>
            <translation>Keine Einheit zugeteilt.</translation>
        </message>
        <message>
            <source>since %1</source>
            <translation>seit %1</translation>
        </message>
        <message>
            <source>Confirmed (3)</source>
            <translation>Bestätigt (3)</translation>
        </message>
        <message>
            <source>The unit confirmed the alarm by radio (Alt+3)</source>
            <translation>Die Einheit hat die Alarmierung per Funk bestätigt (Alt+3)</translation>
        </message>
        <message>
            <source>Release the unit: available on radio (status 1)</source>
            <translation>Einheit aus dem Einsatz entlassen: einsatzbereit über Funk (Status 1)</translation>
        </message>
        <message>
            <source>Release the unit: available at the station (status 2)</source>
            <translation>Einheit aus dem Einsatz entlassen: auf Wache (Status 2)</translation>
        </message>
        <message>
            <source>%1 released %2</source>
            <translation>%1 entlassen um %2</translation>
        </message>
    </context>
    <context>
        <name>UpcomingTableModel</name>
        <message>
            <source>Recording</source>
            <translation>Aufnahme</translation>
        </message>
        <message>
            <source>Officer</source>
            <translation>Dienstkraft</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>Recorded</source>
            <translation>Erfasst</translation>
        </message>
        <message>
            <source>Deleted on</source>
            <translation>Löschung am</translation>
        </message>
        <message>
            <source>Holds</source>
            <translation>Sperren</translation>
        </message>
        <message>
            <source>none</source>
            <translation>keine</translation>
        </message>
    </context>
    <context>
        <name>WitnessDialog</name>
        <message>
            <source>Witness for %1</source>
            <translation>Zeuge zu %1</translation>
        </message>
        <message>
            <source>DD.MM.YYYY (if known)</source>
            <translation>TT.MM.JJJJ (falls bekannt)</translation>
        </message>
        <message>
            <source>&amp;Surname:</source>
            <translation>&amp;Nachname:</translation>
        </message>
        <message>
            <source>&amp;First name:</source>
            <translation>&amp;Vorname:</translation>
        </message>
        <message>
            <source>Date of &amp;birth:</source>
            <translation>&amp;Geburtsdatum:</translation>
        </message>
        <message>
            <source>&amp;Address:</source>
            <translation>&amp;Adresse:</translation>
        </message>
        <message>
            <source>S&amp;tatement:</source>
            <translation>&amp;Aussage:</translation>
        </message>
        <message>
            <source>surname</source>
            <translation>Nachname</translation>
        </message>
        <message>
            <source>address</source>
            <translation>Anschrift</translation>
        </message>
        <message>
            <source>Date of birth</source>
            <translation>Geburtsdatum</translation>
        </message>
    </context>
    <context>
        <name>WorkDialog</name>
        <message>
            <source>&amp;Save</source>
            <translation>&amp;Speichern</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Abbrechen</translation>
        </message>
        <message>
            <source>Not ready to save: %1</source>
            <translation>Noch nicht speicherbar: %1</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Schließen</translation>
        </message>
        <message>
            <source>Saving failed. Your input is still here.</source>
            <translation>Speichern fehlgeschlagen. Ihre Eingaben sind erhalten.</translation>
        </message>
    </context>
    <context>
        <name>WorkItemDialog</name>
        <message>
            <source>&amp;Load their version</source>
            <translation>Geänderte Fassung &amp;laden</translation>
        </message>
        <message>
            <source>Changed meanwhile: %1. Save again to put your entries over them, or load their version.</source>
            <translation>Inzwischen geändert: %1. Speichern Sie erneut, um Ihre Eingaben darüber zu schreiben, oder laden Sie die geänderte Fassung.</translation>
        </message>
    </context>
    <context>
        <name>WorkTableView</name>
        <message>
            <source>More</source>
            <translation>Mehr</translation>
        </message>
    </context>
    <context>
        <name>argparse</name>
        <message>
            <source>usage: </source>
            <translation>Aufruf: </translation>
        </message>
        <message>
            <source>options</source>
            <translation>Optionen</translation>
        </message>
        <message>
            <source>positional arguments</source>
            <translation>Argumente</translation>
        </message>
        <message>
            <source>show this help message and exit</source>
            <translation>diese Hilfe anzeigen und beenden</translation>
        </message>
        <message>
            <source>%(prog)s: error: %(message)s
</source>
            <translation>%(prog)s: Fehler: %(message)s
</translation>
        </message>
        <message>
            <source>unrecognized arguments: %s</source>
            <translation>unbekannte Argumente: %s</translation>
        </message>
        <message>
            <source>the following arguments are required: %s</source>
            <translation>diese Argumente fehlen: %s</translation>
        </message>
        <message>
            <source>expected one argument</source>
            <translation>ein Wert erwartet</translation>
        </message>
        <message>
            <source>expected at least one argument</source>
            <translation>mindestens ein Wert erwartet</translation>
        </message>
        <message>
            <source>expected at most one argument</source>
            <translation>höchstens ein Wert erwartet</translation>
        </message>
        <message>
            <source>argument %(argument_name)s: %(message)s</source>
            <translation>Argument %(argument_name)s: %(message)s</translation>
        </message>
        <message>
            <source>invalid choice: %(value)r (choose from %(choices)s)</source>
            <translation>ungültige Auswahl: %(value)r (möglich: %(choices)s)</translation>
        </message>
        <message>
            <source>invalid %(type)s value: %(value)r</source>
            <translation>ungültiger Wert (%(type)s): %(value)r</translation>
        </message>
        <message>
            <source>not allowed with argument %s</source>
            <translation>nicht zusammen mit Argument %s erlaubt</translation>
        </message>
        <message>
            <source>ignored explicit argument %r</source>
            <translation>Wert %r ist hier nicht erlaubt</translation>
        </message>
        <message>
            <source>one of the arguments %s is required</source>
            <translation>eines der Argumente %s ist nötig</translation>
        </message>
        <message>
            <source>ambiguous option: %(option)s could match %(matches)s</source>
            <translation>mehrdeutige Option: %(option)s passt zu %(matches)s</translation>
        </message>
        <message>
            <source>unknown parser %(parser_name)r (choices: %(choices)s)</source>
            <translation>unbekannter Befehl %(parser_name)r (möglich: %(choices)s)</translation>
        </message>
        <message>
            <source>expected %s argument</source>
            <translation>%s Wert erwartet</translation>
        </message>
        <message>
            <source>expected %s arguments</source>
            <translation>%s Werte erwartet</translation>
        </message>
        <message>
            <source>show the version and exit</source>
            <translation>Version anzeigen und beenden</translation>
        </message>
    </context>
    <context>
        <name>audit</name>
        <message>
            <source>Access refused</source>
            <translation>Zugriff verweigert</translation>
        </message>
        <message>
            <source>Login failed</source>
            <translation>Anmeldung fehlgeschlagen</translation>
        </message>
        <message>
            <source>Account locked after failed logins</source>
            <translation>Konto nach Fehlversuchen gesperrt</translation>
        </message>
        <message>
            <source>Logged in</source>
            <translation>Angemeldet</translation>
        </message>
        <message>
            <source>User account created</source>
            <translation>Benutzerkonto angelegt</translation>
        </message>
        <message>
            <source>User account enabled</source>
            <translation>Benutzerkonto freigegeben</translation>
        </message>
        <message>
            <source>User account disabled</source>
            <translation>Benutzerkonto deaktiviert</translation>
        </message>
        <message>
            <source>Password set</source>
            <translation>Passwort gesetzt</translation>
        </message>
        <message>
            <source>Role changed</source>
            <translation>Rolle geändert</translation>
        </message>
        <message>
            <source>Setting changed</source>
            <translation>Einstellung geändert</translation>
        </message>
        <message>
            <source>Gazetteer imported</source>
            <translation>Straßenverzeichnis importiert</translation>
        </message>
        <message>
            <source>Audit log exported</source>
            <translation>Audit-Protokoll exportiert</translation>
        </message>
        <message>
            <source>Expired audit records deleted</source>
            <translation>Abgelaufene Protokolleinträge gelöscht</translation>
        </message>
        <message>
            <source>Demo data generated</source>
            <translation>Demodaten erzeugt</translation>
        </message>
        <message>
            <source>Incident created</source>
            <translation>Einsatz angelegt</translation>
        </message>
        <message>
            <source>Incident changed</source>
            <translation>Einsatz geändert</translation>
        </message>
        <message>
            <source>Journal note written</source>
            <translation>Einsatztagebuch-Eintrag geschrieben</translation>
        </message>
        <message>
            <source>Unit assigned</source>
            <translation>Einheit zugewiesen</translation>
        </message>
        <message>
            <source>Unit on scene</source>
            <translation>Einheit am Einsatzort</translation>
        </message>
        <message>
            <source>Unit released</source>
            <translation>Einheit freigegeben</translation>
        </message>
        <message>
            <source>Incident closed</source>
            <translation>Einsatz abgeschlossen</translation>
        </message>
        <message>
            <source>Incident reopened</source>
            <translation>Einsatz wieder geöffnet</translation>
        </message>
        <message>
            <source>Unit created</source>
            <translation>Einheit angelegt</translation>
        </message>
        <message>
            <source>Unit status set</source>
            <translation>Einheitenstatus gesetzt</translation>
        </message>
        <message>
            <source>Emergency raised</source>
            <translation>Notruf ausgelöst</translation>
        </message>
        <message>
            <source>Emergency acknowledged</source>
            <translation>Notruf quittiert</translation>
        </message>
        <message>
            <source>Task created</source>
            <translation>Auftrag angelegt</translation>
        </message>
        <message>
            <source>Task changed</source>
            <translation>Auftrag geändert</translation>
        </message>
        <message>
            <source>Task assigned</source>
            <translation>Auftrag zugewiesen</translation>
        </message>
        <message>
            <source>Task done</source>
            <translation>Auftrag erledigt</translation>
        </message>
        <message>
            <source>Task cancelled</source>
            <translation>Auftrag storniert</translation>
        </message>
        <message>
            <source>Task reopened</source>
            <translation>Auftrag wieder geöffnet</translation>
        </message>
        <message>
            <source>Follow-up set</source>
            <translation>Wiedervorlage gesetzt</translation>
        </message>
        <message>
            <source>Follow-up postponed</source>
            <translation>Wiedervorlage verschoben</translation>
        </message>
        <message>
            <source>Report created</source>
            <translation>Meldung angelegt</translation>
        </message>
        <message>
            <source>Report changed</source>
            <translation>Meldung geändert</translation>
        </message>
        <message>
            <source>Report status changed</source>
            <translation>Meldungsstatus geändert</translation>
        </message>
        <message>
            <source>Report turned into an incident or task</source>
            <translation>Meldung in Einsatz oder Auftrag überführt</translation>
        </message>
        <message>
            <source>Offence case exported for the Bußgeldstelle</source>
            <translation>OWi-Fall für die Bußgeldstelle exportiert</translation>
        </message>
        <message>
            <source>Offence case document printed</source>
            <translation>Schriftstück eines OWi-Falls gedruckt</translation>
        </message>
        <message>
            <source>Bodycam recording taken as evidence of a case</source>
            <translation>Bodycam-Aufnahme als Beweismittel zu einem Fall genommen</translation>
        </message>
        <message>
            <source>Bodycam recording imported</source>
            <translation>Bodycam-Aufnahme importiert</translation>
        </message>
        <message>
            <source>File for import quarantined</source>
            <translation>Datei für den Import in Quarantäne verschoben</translation>
        </message>
        <message>
            <source>Recording linked to an incident</source>
            <translation>Aufnahme einem Einsatz zugeordnet</translation>
        </message>
        <message>
            <source>Bodycam recording opened</source>
            <translation>Bodycam-Aufnahme geöffnet</translation>
        </message>
        <message>
            <source>Bodycam recording exported</source>
            <translation>Bodycam-Aufnahme exportiert</translation>
        </message>
        <message>
            <source>Export of a recording cancelled</source>
            <translation>Export einer Aufnahme abgebrochen</translation>
        </message>
        <message>
            <source>Hold on a recording proposed</source>
            <translation>Sperre einer Aufnahme beantragt</translation>
        </message>
        <message>
            <source>Hold on a recording confirmed</source>
            <translation>Sperre einer Aufnahme bestätigt</translation>
        </message>
        <message>
            <source>Lifting a hold proposed</source>
            <translation>Aufhebung einer Sperre beantragt</translation>
        </message>
        <message>
            <source>Hold on a recording lifted</source>
            <translation>Sperre einer Aufnahme aufgehoben</translation>
        </message>
        <message>
            <source>Bodycam recording deleted</source>
            <translation>Bodycam-Aufnahme gelöscht</translation>
        </message>
        <message>
            <source>Recording store checked</source>
            <translation>Aufnahmespeicher geprüft</translation>
        </message>
        <message>
            <source>Offence catalogue entry added</source>
            <translation>Tatbestand im Katalog angelegt</translation>
        </message>
        <message>
            <source>Offence catalogue entry revised</source>
            <translation>Tatbestand im Katalog überarbeitet</translation>
        </message>
        <message>
            <source>Offence catalogue entry confirmed</source>
            <translation>Tatbestand im Katalog bestätigt</translation>
        </message>
        <message>
            <source>Offence catalogue entry put into use</source>
            <translation>Tatbestand im Katalog aktiviert</translation>
        </message>
        <message>
            <source>Offence catalogue entry taken out of use</source>
            <translation>Tatbestand im Katalog deaktiviert</translation>
        </message>
        <message>
            <source>Offence catalogue imported</source>
            <translation>Tatbestandskatalog importiert</translation>
        </message>
        <message>
            <source>Call of a field device</source>
            <translation>Aufruf eines Außendienstgeräts</translation>
        </message>
        <message>
            <source>Call of a field device refused</source>
            <translation>Aufruf eines Außendienstgeräts abgewiesen</translation>
        </message>
        <message>
            <source>Order acknowledged on a field device</source>
            <translation>Auftrag auf dem Außendienstgerät bestätigt</translation>
        </message>
        <message>
            <source>Photos from the field stored</source>
            <translation>Fotos aus dem Außendienst gespeichert</translation>
        </message>
        <message>
            <source>Field device registered</source>
            <translation>Außendienstgerät registriert</translation>
        </message>
        <message>
            <source>Field device revoked</source>
            <translation>Außendienstgerät widerrufen</translation>
        </message>
        <message>
            <source>New token for a field device</source>
            <translation>Neues Token für ein Außendienstgerät</translation>
        </message>
        <message>
            <source>Field device renewed its token</source>
            <translation>Außendienstgerät hat sein Token erneuert</translation>
        </message>
        <message>
            <source>Incident report created</source>
            <translation>Einsatzbericht erstellt</translation>
        </message>
        <message>
            <source>District outlines imported</source>
            <translation>Stadtteilgrenzen importiert</translation>
        </message>
        <message>
            <source>Offence case captured</source>
            <translation>OWi-Fall erfasst</translation>
        </message>
        <message>
            <source>Caution with fine given</source>
            <translation>Verwarnung mit Verwarnungsgeld erteilt</translation>
        </message>
        <message>
            <source>Caution fine paid</source>
            <translation>Verwarnungsgeld bezahlt</translation>
        </message>
        <message>
            <source>Offence case status changed</source>
            <translation>Status des OWi-Falls geändert</translation>
        </message>
        <message>
            <source>Witness added to an offence case</source>
            <translation>Zeuge zum OWi-Fall hinzugefügt</translation>
        </message>
        <message>
            <source>Personal data of an offence case viewed</source>
            <translation>Personendaten eines OWi-Falls eingesehen</translation>
        </message>
        <message>
            <source>Personal data of closed offence cases removed</source>
            <translation>Personendaten abgeschlossener OWi-Fälle entfernt</translation>
        </message>
        <message>
            <source>Bookmark set in a recording</source>
            <translation>Lesezeichen in einer Aufnahme gesetzt</translation>
        </message>
        <message>
            <source>Bookmark of a recording changed</source>
            <translation>Lesezeichen einer Aufnahme geändert</translation>
        </message>
        <message>
            <source>Bookmark of a recording removed</source>
            <translation>Lesezeichen einer Aufnahme entfernt</translation>
        </message>
        <message>
            <source>Still image taken from a recording as evidence</source>
            <translation>Standbild aus einer Aufnahme als Beweis gesichert</translation>
        </message>
        <message>
            <source>Recording found altered: playback blocked</source>
            <translation>Aufnahme verändert vorgefunden: Wiedergabe gesperrt</translation>
        </message>
        <message>
            <source>Citizen report taken in from the platform</source>
            <translation>Bürgermeldung von der Plattform übernommen</translation>
        </message>
        <message>
            <source>Citizen report changed on the platform</source>
            <translation>Bürgermeldung auf der Plattform geändert</translation>
        </message>
        <message>
            <source>Status reported back to the platform</source>
            <translation>Status an die Plattform zurückgemeldet</translation>
        </message>
        <message>
            <source>Statistics viewed</source>
            <translation>Statistik abgerufen</translation>
        </message>
        <message>
            <source>Unit put into service</source>
            <translation>Einheit in Dienst gestellt</translation>
        </message>
        <message>
            <source>Unit taken out of service</source>
            <translation>Einheit außer Dienst gestellt</translation>
        </message>
        <message>
            <source>Unit renamed</source>
            <translation>Einheit umbenannt</translation>
        </message>
        <message>
            <source>Unit crew changed</source>
            <translation>Besatzung der Einheit geändert</translation>
        </message>
        <message>
            <source>Unit status change undone</source>
            <translation>Statuswechsel der Einheit zurückgenommen</translation>
        </message>
        <message>
            <source>Row added (server record)</source>
            <translation>Zeile hinzugefügt (Serverprotokoll)</translation>
        </message>
        <message>
            <source>Row changed (server record)</source>
            <translation>Zeile geändert (Serverprotokoll)</translation>
        </message>
        <message>
            <source>Row deleted (server record)</source>
            <translation>Zeile gelöscht (Serverprotokoll)</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>Unit assignment</source>
            <translation>Einheitenzuordnung</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Unit member</source>
            <translation>Einheitsmitglied</translation>
        </message>
        <message>
            <source>Emergency</source>
            <translation>Notruf</translation>
        </message>
        <message>
            <source>Task</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Report</source>
            <translation>Meldung</translation>
        </message>
        <message>
            <source>Bodycam recording</source>
            <translation>Bodycam-Aufzeichnung</translation>
        </message>
        <message>
            <source>Hold on a recording</source>
            <translation>Sicherung einer Aufzeichnung</translation>
        </message>
        <message>
            <source>Deletion protocol of recordings</source>
            <translation>Löschprotokoll der Aufnahmen</translation>
        </message>
        <message>
            <source>Offence case</source>
            <translation>OWi-Vorgang</translation>
        </message>
        <message>
            <source>Person concerned (offence)</source>
            <translation>Betroffene Person (OWi)</translation>
        </message>
        <message>
            <source>Evidence (offence)</source>
            <translation>Beweismittel (OWi)</translation>
        </message>
        <message>
            <source>Offence catalogue entry</source>
            <translation>Tatbestandskatalog-Eintrag</translation>
        </message>
        <message>
            <source>User</source>
            <translation>Benutzer</translation>
        </message>
        <message>
            <source>User account (row)</source>
            <translation>Benutzerkonto (Zeile)</translation>
        </message>
        <message>
            <source>Role</source>
            <translation>Rolle</translation>
        </message>
        <message>
            <source>Setting</source>
            <translation>Einstellung</translation>
        </message>
        <message>
            <source>Gazetteer</source>
            <translation>Straßenverzeichnis</translation>
        </message>
        <message>
            <source>The period must lie between the years %1 and %2.</source>
            <translation>Der Zeitraum muss zwischen den Jahren %1 und %2 liegen.</translation>
        </message>
        <message>
            <source>The start of the period must lie before its end.</source>
            <translation>Der Beginn des Zeitraums muss vor seinem Ende liegen.</translation>
        </message>
        <message>
            <source>More than %1 records match: please narrow the filter (e.g. the period) and export in parts.</source>
            <translation>Mehr als %1 Einträge passen zum Filter: Bitte grenzen Sie ihn ein (z. B. den Zeitraum) und exportieren Sie in Teilen.</translation>
        </message>
        <message>
            <source>The export could not be written to %1: %2. Nothing was exported; please choose another folder.</source>
            <translation>Der Export konnte nicht nach %1 geschrieben werden: %2. Es wurde nichts exportiert; bitte wählen Sie einen anderen Ordner.</translation>
        </message>
        <message>
            <source>no permission to write there</source>
            <translation>keine Schreibberechtigung in diesem Ordner</translation>
        </message>
        <message>
            <source>the folder does not exist</source>
            <translation>der Ordner existiert nicht</translation>
        </message>
        <message>
            <source>the disk is full</source>
            <translation>der Datenträger ist voll</translation>
        </message>
        <message>
            <source>the drive is read-only</source>
            <translation>das Laufwerk ist schreibgeschützt</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>Nummer</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Person</source>
            <translation>Person</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
        <message>
            <source>Action (plain text)</source>
            <translation>Aktion (Klartext)</translation>
        </message>
        <message>
            <source>Object</source>
            <translation>Objekt</translation>
        </message>
        <message>
            <source>Object number</source>
            <translation>Objektnummer</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Empfänger</translation>
        </message>
        <message>
            <source>Details</source>
            <translation>Details</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
        <message>
            <source>Audit log intact: %1 records checked. Newest hash: %2</source>
            <translation>Audit-Protokoll intakt: %1 Einträge geprüft. Neueste Prüfsumme: %2</translation>
        </message>
        <message>
            <source>Audit log NOT intact: the expected record (anchor) is no longer in the log: records were removed or rewritten, or it is older than the retention period.</source>
            <translation>Protokoll NICHT intakt: Der erwartete Eintrag (Anker) ist nicht mehr im Protokoll – Einträge wurden entfernt oder umgeschrieben, oder er ist älter als die Aufbewahrungsfrist.</translation>
        </message>
        <message>
            <source>Audit log NOT intact: records before record %1 were removed without a prune record.</source>
            <translation>Audit-Protokoll NICHT intakt: Einträge vor Eintrag %1 wurden ohne Löschprotokoll entfernt.</translation>
        </message>
        <message>
            <source>Audit log NOT intact: record %1 does not follow its predecessor (a record before it was removed, inserted or changed).</source>
            <translation>Audit-Protokoll NICHT intakt: Eintrag %1 schließt nicht an seinen Vorgänger an (ein Eintrag davor wurde entfernt, eingefügt oder geändert).</translation>
        </message>
        <message>
            <source>Audit log NOT intact: record %1 was changed after it was written.</source>
            <translation>Audit-Protokoll NICHT intakt: Eintrag %1 wurde nach dem Schreiben geändert.</translation>
        </message>
    </context>
    <context>
        <name>catalogue</name>
        <message>
            <source>line %1: %2 is not an amount in euros</source>
            <translation>Zeile %1: %2 ist kein Betrag in Euro</translation>
        </message>
        <message>
            <source>line %1: %2 is out of range</source>
            <translation>Zeile %1: %2 liegt außerhalb des zulässigen Bereichs</translation>
        </message>
        <message>
            <source>line %1: %2 is empty</source>
            <translation>Zeile %1: %2 ist leer</translation>
        </message>
        <message>
            <source>line %1: key %2 may hold only A–Z, 0–9 and _</source>
            <translation>Zeile %1: Schlüssel %2 darf nur A–Z, 0–9 und _ enthalten</translation>
        </message>
        <message>
            <source>line %1: the lowest amount is above the highest</source>
            <translation>Zeile %1: der Mindestbetrag liegt über dem Höchstbetrag</translation>
        </message>
        <message>
            <source>line %1: the amount is above the statutory maximum</source>
            <translation>Zeile %1: der Betrag liegt über dem gesetzlichen Höchstmaß</translation>
        </message>
        <message>
            <source>line %1: a traffic offence needs its six-digit BT-KAT-OWI number</source>
            <translation>Zeile %1: ein Verkehrsverstoß braucht seine sechsstellige BT-KAT-OWI-Nummer</translation>
        </message>
        <message>
            <source>line %1: verified must be yes or no</source>
            <translation>Zeile %1: verified muss yes oder no sein</translation>
        </message>
        <message>
            <source>This is not an offence catalogue: the columns %1 are missing.</source>
            <translation>Das ist kein Tatbestandskatalog: die Spalten %1 fehlen.</translation>
        </message>
        <message>
            <source>The file has more than %1 entries.</source>
            <translation>Die Datei hat mehr als %1 Einträge.</translation>
        </message>
        <message>
            <source>line %1: key %2 already in line %3</source>
            <translation>Zeile %1: Schlüssel %2 steht schon in Zeile %3</translation>
        </message>
        <message>
            <source>The file is not a readable CSV file (%1).</source>
            <translation>Die Datei ist keine lesbare CSV-Datei (%1).</translation>
        </message>
        <message>
            <source>… and %1 more faults</source>
            <translation>… und %1 weitere Fehler</translation>
        </message>
        <message>
            <source>Nothing was imported; the file has faults:</source>
            <translation>Nichts wurde importiert; die Datei enthält Fehler:</translation>
        </message>
        <message>
            <source>The file holds no entries.</source>
            <translation>Die Datei enthält keine Einträge.</translation>
        </message>
        <message>
            <source>Catalogue entry %1 does not exist.</source>
            <translation>Katalogeintrag %1 gibt es nicht.</translation>
        </message>
        <message>
            <source>These fields cannot be changed: %1</source>
            <translation>Diese Felder können nicht geändert werden: %1</translation>
        </message>
    </context>
    <context>
        <name>categories</name>
        <message>
            <source>Assault on staff</source>
            <translation>Angriff auf Mitarbeitende</translation>
        </message>
        <message>
            <source>Helpless person</source>
            <translation>Hilflose Person</translation>
        </message>
        <message>
            <source>Noise</source>
            <translation>Lärm</translation>
        </message>
        <message>
            <source>Dog (unleashed or dangerous)</source>
            <translation>Hund (freilaufend oder gefährlich)</translation>
        </message>
        <message>
            <source>Aggressive begging</source>
            <translation>Aggressives Betteln</translation>
        </message>
        <message>
            <source>Youth protection</source>
            <translation>Jugendschutz</translation>
        </message>
        <message>
            <source>Glass ban</source>
            <translation>Glasverbot</translation>
        </message>
        <message>
            <source>Lakes ordinance (grilling, night)</source>
            <translation>Seenverordnung (Grillen, Nacht)</translation>
        </message>
        <message>
            <source>Disturbance of public order</source>
            <translation>Störung der öffentlichen Ordnung</translation>
        </message>
        <message>
            <source>Alcohol or drug use in public</source>
            <translation>Alkohol- oder Drogenkonsum in der Öffentlichkeit</translation>
        </message>
        <message>
            <source>Illegal waste dumping</source>
            <translation>Wilder Müll</translation>
        </message>
        <message>
            <source>Graffiti and fly-posting</source>
            <translation>Graffiti und Wildplakatierung</translation>
        </message>
        <message>
            <source>Parking</source>
            <translation>Parken</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>Sonstiges</translation>
        </message>
    </context>
    <context>
        <name>cli</name>
        <message>
            <source>Administration of the KOD-Leitstelle database.</source>
            <translation>Verwaltung der Datenbank der KOD-Leitstelle.</translation>
        </message>
        <message>
            <source>Database URL (postgresql://user:password@host:5432/db or sqlite:///file). Default: KOD_DATABASE_URL, else the per-user SQLite file.</source>
            <translation>Datenbank-URL (postgresql://benutzer:passwort@host:5432/db oder sqlite:///datei). Standard: KOD_DATABASE_URL, sonst die SQLite-Datei des jeweiligen Benutzers.</translation>
        </message>
        <message>
            <source>PostgreSQL: log in as NAME (default: the user in the URL, else PGUSER, else the operating-system user). The password comes from the password file, PGPASSWORD or a prompt.</source>
            <translation>PostgreSQL: als NAME anmelden (Standard: der Benutzer in der URL, sonst PGUSER, sonst der Betriebssystem-Benutzer). Das Passwort kommt aus der Passwortdatei, aus PGPASSWORD oder wird abgefragt.</translation>
        </message>
        <message>
            <source>Print the permission matrix (Markdown)</source>
            <translation>Berechtigungsmatrix ausgeben (Markdown)</translation>
        </message>
        <message>
            <source>Configurable values</source>
            <translation>Einstellbare Werte</translation>
        </message>
        <message>
            <source>JSON value, e.g. "refuse", 0 or true</source>
            <translation>JSON-Wert, z. B. "refuse", 0 oder true</translation>
        </message>
        <message>
            <source>Password of %1 on %2: </source>
            <translation>Passwort von %1 auf %2: </translation>
        </message>
        <message>
            <source>%1 set to %2.</source>
            <translation>%1 auf %2 gesetzt.</translation>
        </message>
        <message>
            <source>Unknown command.</source>
            <translation>Unbekannter Befehl.</translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Fehler: %1</translation>
        </message>
        <message>
            <source>Cancelled.</source>
            <translation>Abgebrochen.</translation>
        </message>
        <message>
            <source>Unexpected error (%1). Details are in the log file.</source>
            <translation>Unerwarteter Fehler (%1). Einzelheiten stehen in der Protokolldatei.</translation>
        </message>
        <message>
            <source>Audit log</source>
            <translation>Audit-Protokoll</translation>
        </message>
        <message>
            <source>Check the hash chain of the audit log</source>
            <translation>Prüfsummenkette des Audit-Protokolls prüfen</translation>
        </message>
        <message>
            <source>Also require this hash as the newest record</source>
            <translation>Zusätzlich verlangen, dass der neueste Eintrag diese Prüfsumme hat</translation>
        </message>
        <message>
            <source>Print the hash of the newest record (to anchor it)</source>
            <translation>Prüfsumme des neuesten Eintrags ausgeben (zum Hinterlegen als Vergleichswert)</translation>
        </message>
        <message>
            <source>Delete the records older than the retention period</source>
            <translation>Einträge löschen, die älter als die Aufbewahrungsfrist sind</translation>
        </message>
        <message>
            <source>Only show what would be deleted</source>
            <translation>Nur anzeigen, was gelöscht würde</translation>
        </message>
        <message>
            <source>%1 audit records are older than %2 and would be deleted.</source>
            <translation>%1 Audit-Einträge sind älter als %2 und würden gelöscht.</translation>
        </message>
        <message>
            <source>%1 audit records older than %2 deleted.</source>
            <translation>%1 Audit-Einträge älter als %2 gelöscht.</translation>
        </message>
        <message>
            <source>Schema migrations</source>
            <translation>Schemamigrationen</translation>
        </message>
        <message>
            <source>Migrate the database to the newest schema</source>
            <translation>Datenbank auf das neueste Schema migrieren</translation>
        </message>
        <message>
            <source>Migrate down (default: to an empty database)</source>
            <translation>Zurückmigrieren (Standard: bis zur leeren Datenbank)</translation>
        </message>
        <message>
            <source>Show the schema version</source>
            <translation>Schemaversion anzeigen</translation>
        </message>
        <message>
            <source>Schema of %1: %2 → %3</source>
            <translation>Schema von %1: %2 → %3</translation>
        </message>
        <message>
            <source>Database: %1</source>
            <translation>Datenbank: %1</translation>
        </message>
        <message>
            <source>Schema: %1 (program: %2)</source>
            <translation>Schema: %1 (Programm: %2)</translation>
        </message>
        <message>
            <source>Field interface (officers' devices)</source>
            <translation>Schnittstelle zum Außendienst (Geräte der Einsatzkräfte)</translation>
        </message>
        <message>
            <source>Field devices and their tokens</source>
            <translation>Geräte des Außendienstes und ihre Tokens</translation>
        </message>
        <message>
            <source>Register a device; prints its token once</source>
            <translation>Gerät registrieren; zeigt sein Token einmalig an</translation>
        </message>
        <message>
            <source>the field officer's user name</source>
            <translation>Benutzername der Person im Außendienst</translation>
        </message>
        <message>
            <source>call sign, e.g. "KOD 11"</source>
            <translation>Funkrufname, z. B. "KOD 11"</translation>
        </message>
        <message>
            <source>name of the device</source>
            <translation>Name des Geräts</translation>
        </message>
        <message>
            <source>List registered devices</source>
            <translation>Registrierte Geräte auflisten</translation>
        </message>
        <message>
            <source>also revoked ones</source>
            <translation>auch widerrufene</translation>
        </message>
        <message>
            <source>A new token (the old one stops at once)</source>
            <translation>Neues Token (das alte gilt sofort nicht mehr)</translation>
        </message>
        <message>
            <source>Revoke a device</source>
            <translation>Gerät widerrufen</translation>
        </message>
        <message>
            <source>Device %1 revoked.</source>
            <translation>Gerät %1 widerrufen.</translation>
        </message>
        <message>
            <source>revoked</source>
            <translation>widerrufen</translation>
        </message>
        <message>
            <source>Address gazetteer for call-taking</source>
            <translation>Adressverzeichnis für die Anrufannahme</translation>
        </message>
        <message>
            <source>Import house coordinates from a CSV file (NRW Hauskoordinaten or street,house_number,postcode,lat,lon)</source>
            <translation>Hauskoordinaten aus einer CSV-Datei importieren (NRW-Hauskoordinaten oder street,house_number,postcode,lat,lon)</translation>
        </message>
        <message>
            <source>%1 (%2): %3 addresses imported (%4 new, %5 updated, %6 unchanged), %7 rows rejected.</source>
            <translation>%1 (%2): %3 Adressen importiert (%4 neu, %5 aktualisiert, %6 unverändert), %7 Zeilen abgewiesen.</translation>
        </message>
        <message>
            <source>  … and %1 more rejected rows.</source>
            <translation>  … und %1 weitere abgewiesene Zeilen.</translation>
        </message>
        <message>
            <source>Write the hand-over file (XML or CSV) of the given cases</source>
            <translation>Abgabedatei (XML oder CSV) der angegebenen Fälle schreiben</translation>
        </message>
        <message>
            <source>ends in .xml or .csv</source>
            <translation>endet auf .xml oder .csv</translation>
        </message>
        <message>
            <source>Check a hand-over XML file against the schema</source>
            <translation>Eine Abgabedatei (XML) gegen das Schema prüfen</translation>
        </message>
        <message>
            <source>The file name must end in .xml or .csv: %1</source>
            <translation>Der Dateiname muss auf .xml oder .csv enden: %1</translation>
        </message>
        <message>
            <source>The file %1 cannot be read (%2).</source>
            <translation>Die Datei %1 kann nicht gelesen werden (%2).</translation>
        </message>
        <message>
            <source>%1: valid, %2 cases.</source>
            <translation>%1: gültig, %2 Fälle.</translation>
        </message>
        <message>
            <source>The file %1 cannot be written (%2).</source>
            <translation>Die Datei %1 kann nicht geschrieben werden (%2).</translation>
        </message>
        <message>
            <source>%1 cases written to %2.</source>
            <translation>%1 Fälle in %2 geschrieben.</translation>
        </message>
        <message>
            <source>Situation map: tiles and Stadtteil outlines</source>
            <translation>Lagekarte: Kacheln und Stadtteilgrenzen</translation>
        </message>
        <message>
            <source>Check an MBTiles file, copy it into this workstation's data folder (%1) and use it as the map background</source>
            <translation>Eine MBTiles-Datei prüfen, in den Datenordner dieses Arbeitsplatzes (%1) kopieren und als Kartenhintergrund verwenden</translation>
        </message>
        <message>
            <source>Import the official Stadtteil outlines from a GeoJSON file (replaces earlier ones)</source>
            <translation>Die amtlichen Stadtteilgrenzen aus einer GeoJSON-Datei einlesen (ersetzt frühere)</translation>
        </message>
        <message>
            <source>The feature property holding the Stadtteil name (default: detected)</source>
            <translation>Die Eigenschaft der Features, die den Stadtteilnamen enthält (Standard: wird erkannt)</translation>
        </message>
        <message>
            <source>The file's coordinate system if it declares none (e.g. EPSG:25832; default: the file's crs member, else WGS84)</source>
            <translation>Das Koordinatensystem der Datei, falls sie keines angibt (z. B. EPSG:25832; Standard: das crs-Element der Datei, sonst WGS84)</translation>
        </message>
        <message>
            <source>%1: %2 tiles (%3, zoom %4–%5) copied to %6.</source>
            <translation>%1: %2 Kacheln (%3, Zoomstufen %4–%5) nach %6 kopiert.</translation>
        </message>
        <message>
            <source>map.mbtiles_path set to %1.</source>
            <translation>map.mbtiles_path auf %1 gesetzt.</translation>
        </message>
        <message>
            <source>%1 (%2): %3 Stadtteil outlines imported: %4</source>
            <translation>%1 (%2): %3 Stadtteilgrenzen eingelesen: %4</translation>
        </message>
        <message>
            <source>Note: %1</source>
            <translation>Hinweis: %1</translation>
        </message>
        <message>
            <source>Offence catalogue (Tatbestände)</source>
            <translation>Tatbestandskatalog (Ordnungswidrigkeiten)</translation>
        </message>
        <message>
            <source>Import a catalogue CSV file (new entries added, changed ones revised)</source>
            <translation>Katalog aus CSV-Datei importieren (neue Einträge hinzufügen, geänderte als neue Fassung)</translation>
        </message>
        <message>
            <source>Write the current catalogue as CSV</source>
            <translation>Aktuellen Katalog als CSV schreiben</translation>
        </message>
        <message>
            <source>default: standard output</source>
            <translation>Standard: Standardausgabe</translation>
        </message>
        <message>
            <source>List current entries</source>
            <translation>Aktuelle Einträge auflisten</translation>
        </message>
        <message>
            <source>number, words or law</source>
            <translation>Nummer, Wörter oder Rechtsgrundlage</translation>
        </message>
        <message>
            <source>only entries not yet confirmed</source>
            <translation>nur noch nicht bestätigte Einträge</translation>
        </message>
        <message>
            <source>Confirm an unverified entry against its source</source>
            <translation>Ungeprüften Eintrag nach Prüfung an der Quelle bestätigen</translation>
        </message>
        <message>
            <source>Offence cases</source>
            <translation>OWi-Fälle</translation>
        </message>
        <message>
            <source>Remove the personal data of cases closed longer than offences.personal_data_days</source>
            <translation>Personendaten von Fällen löschen, die länger als offences.personal_data_days abgeschlossen sind</translation>
        </message>
        <message>
            <source>only count</source>
            <translation>nur zählen</translation>
        </message>
        <message>
            <source>%1 closed cases would lose their personal data (closed before %2).</source>
            <translation>%1 abgeschlossene Fälle würden ihre Personendaten verlieren (abgeschlossen vor dem %2).</translation>
        </message>
        <message>
            <source>Personal data of %1 closed cases removed (closed before %2).</source>
            <translation>Personendaten von %1 abgeschlossenen Fällen gelöscht (abgeschlossen vor dem %2).</translation>
        </message>
        <message>
            <source>Offence catalogue seed loaded: %1 entries.</source>
            <translation>Tatbestandskatalog (Grundbestand) geladen: %1 Einträge.</translation>
        </message>
        <message>
            <source>Catalogue imported: %1 new, %2 revised, %3 unchanged.</source>
            <translation>Katalog importiert: %1 neu, %2 in neuer Fassung, %3 unverändert.</translation>
        </message>
        <message>
            <source>[unverified]</source>
            <translation>[ungeprüft]</translation>
        </message>
        <message>
            <source>No catalogue entry with the key %1.</source>
            <translation>Kein Katalogeintrag mit dem Schlüssel %1.</translation>
        </message>
        <message>
            <source>%1 confirmed.</source>
            <translation>%1 bestätigt.</translation>
        </message>
        <message>
            <source>Open311 intake of citizen reports</source>
            <translation>Open311-Übernahme von Bürgermeldungen</translation>
        </message>
        <message>
            <source>Take requests in and report closed Meldungen back</source>
            <translation>Anliegen übernehmen und erledigte Meldungen zurückmelden</translation>
        </message>
        <message>
            <source>poll once and exit</source>
            <translation>einmal abrufen und beenden</translation>
        </message>
        <message>
            <source>No Open311 platform configured: set open311.base_url first.</source>
            <translation>Keine Open311-Plattform eingerichtet: bitte zuerst open311.base_url setzen.</translation>
        </message>
        <message>
            <source>%1 new Meldungen (%2), %3 already known, %4 left out, %5 statuses reported back, %6 still to report.</source>
            <translation>%1 neue Meldungen (%2), %3 bereits bekannt, %4 ausgelassen, %5 Status zurückgemeldet, %6 noch zurückzumelden.</translation>
        </message>
        <message>
            <source>%1 changed on the platform; closed there while still open here: %2</source>
            <translation>%1 auf der Plattform geändert; dort erledigt, hier noch offen: %2</translation>
        </message>
        <message>
            <source>Bodycam recordings</source>
            <translation>Bodycam-Aufnahmen</translation>
        </message>
        <message>
            <source>Create the master key file (once; keep a backup in a safe place)</source>
            <translation>Die Hauptschlüsseldatei anlegen (einmalig; eine Sicherung an einem sicheren Ort aufbewahren)</translation>
        </message>
        <message>
            <source>default: KOD_RECORDING_KEY_FILE or the machine's configuration folder</source>
            <translation>Standard: KOD_RECORDING_KEY_FILE oder der Konfigurationsordner des Rechners</translation>
        </message>
        <message>
            <source>Check the master key and the recording store</source>
            <translation>Hauptschlüssel und Aufnahmespeicher prüfen</translation>
        </message>
        <message>
            <source>Check every stored recording (every block and the SHA-256)</source>
            <translation>Jede gespeicherte Aufnahme prüfen (jeden Block und den SHA-256)</translation>
        </message>
        <message>
            <source>Write an evidence package (clip, metadata, hashes, protocol)</source>
            <translation>Beweismittelpaket schreiben (Aufnahme, Metadaten, Prüfsummen, Zugriffsprotokoll)</translation>
        </message>
        <message>
            <source>why it is exported</source>
            <translation>Grund des Exports</translation>
        </message>
        <message>
            <source>who receives it (e.g. Bußgeldstelle)</source>
            <translation>Empfänger (z. B. Bußgeldstelle)</translation>
        </message>
        <message>
            <source>target folder</source>
            <translation>Zielordner</translation>
        </message>
        <message>
            <source>Encrypt the package (AES-256 ZIP) with a password read from standard input</source>
            <translation>Paket mit einem Passwort verschlüsseln (AES-256-ZIP), Passwort von der Standardeingabe</translation>
        </message>
        <message>
            <source>Deletion of bodycam recordings</source>
            <translation>Löschung von Bodycam-Aufnahmen</translation>
        </message>
        <message>
            <source>Delete the recordings whose retention period ran out (no hold)</source>
            <translation>Aufnahmen mit abgelaufener Speicherfrist löschen (ohne Sperre)</translation>
        </message>
        <message>
            <source>List the deletions of the next days</source>
            <translation>Löschungen der nächsten Tage anzeigen</translation>
        </message>
        <message>
            <source>days ahead (default 3)</source>
            <translation>Tage voraus (Vorgabe 3)</translation>
        </message>
        <message>
            <source>Master key %1 written to %2.</source>
            <translation>Hauptschlüssel %1 nach %2 geschrieben.</translation>
        </message>
        <message>
            <source>Keep a copy in a safe place: without it no recording can be opened. Every workstation needs the same file (%1 names where it is).</source>
            <translation>Bitte eine Kopie an einem sicheren Ort aufbewahren: Ohne sie lässt sich keine Aufnahme öffnen. Jeder Arbeitsplatz braucht dieselbe Datei (%1 nennt ihren Ort).</translation>
        </message>
        <message>
            <source>Master key: %1 (%2)</source>
            <translation>Hauptschlüssel: %1 (%2)</translation>
        </message>
        <message>
            <source>Recording store: %1</source>
            <translation>Aufnahmespeicher: %1</translation>
        </message>
        <message>
            <source>Quarantine folder: %1</source>
            <translation>Quarantäneordner: %1</translation>
        </message>
        <message>
            <source>Recording no. %1 (recorded %2): deleted %3</source>
            <translation>Aufnahme Nr. %1 (aufgenommen %2): gelöscht am %3</translation>
        </message>
        <message>
            <source>%1 recordings deleted (Fristablauf), %2 stored files and %3 snapshot files removed.</source>
            <translation>%1 Aufnahmen gelöscht (Fristablauf), %2 gespeicherte Dateien und %3 Standbild-Dateien entfernt.</translation>
        </message>
        <message>
            <source>This login may not remove the files of deleted recordings (right recording.delete): run it under a Schichtleitung login or as the database owner.</source>
            <translation>Diese Anmeldung darf die Dateien gelöschter Aufnahmen nicht entfernen (Recht recording.delete): bitte mit einer Anmeldung der Schichtleitung oder als Eigentümer der Datenbank ausführen.</translation>
        </message>
        <message>
            <source>Not yet removed (tried again next run): %1</source>
            <translation>Noch nicht entfernt (wird beim nächsten Lauf erneut versucht): %1</translation>
        </message>
        <message>
            <source>Recording no. %1: %2</source>
            <translation>Aufnahme Nr. %1: %2</translation>
        </message>
        <message>
            <source>Snapshot no. %1 of recording no. %2: %3</source>
            <translation>Standbild Nr. %1 der Aufnahme Nr. %2: %3</translation>
        </message>
        <message>
            <source>File without a recording in the store: %1</source>
            <translation>Datei ohne Aufnahme im Speicher: %1</translation>
        </message>
        <message>
            <source>%1 recordings checked, %2 damaged or missing.</source>
            <translation>%1 Aufnahmen geprüft, %2 beschädigt oder fehlend.</translation>
        </message>
        <message>
            <source>Evidence package written: %1</source>
            <translation>Beweismittelpaket geschrieben: %1</translation>
        </message>
        <message>
            <source>No password on standard input.</source>
            <translation>Kein Passwort auf der Standardeingabe.</translation>
        </message>
        <message>
            <source>The chain-of-custody PDF could not be written: %1</source>
            <translation>Das Zugriffsprotokoll (PDF) konnte nicht geschrieben werden: %1</translation>
        </message>
        <message>
            <source>User accounts</source>
            <translation>Benutzerkonten</translation>
        </message>
        <message>
            <source>Create a user</source>
            <translation>Benutzer anlegen</translation>
        </message>
        <message>
            <source>Display name</source>
            <translation>Anzeigename</translation>
        </message>
        <message>
            <source>Read the password from standard input</source>
            <translation>Passwort von der Standardeingabe lesen</translation>
        </message>
        <message>
            <source>No password (field officers using the mobile app)</source>
            <translation>Kein Passwort (Außendienst mit der mobilen App)</translation>
        </message>
        <message>
            <source>PostgreSQL: the person logs in with the directory password (LDAP or Kerberos, as pg_hba.conf says for members of kod_directory); no password of its own</source>
            <translation>PostgreSQL: Die Person meldet sich mit dem Passwort des Verzeichnisdienstes an (LDAP oder Kerberos, wie pg_hba.conf es für Mitglieder von kod_directory festlegt); kein eigenes Passwort</translation>
        </message>
        <message>
            <source>List users</source>
            <translation>Benutzer auflisten</translation>
        </message>
        <message>
            <source>Give a user another role</source>
            <translation>Einem Benutzer eine andere Rolle geben</translation>
        </message>
        <message>
            <source>Disable a user</source>
            <translation>Benutzer deaktivieren</translation>
        </message>
        <message>
            <source>Enable a user again and lift a lockout</source>
            <translation>Benutzer wieder aktivieren und eine Sperre aufheben</translation>
        </message>
        <message>
            <source>Set a new password</source>
            <translation>Neues Passwort setzen</translation>
        </message>
        <message>
            <source>No terminal for the password prompt: use --password-stdin.</source>
            <translation>Kein Terminal für die Passwortabfrage: Verwenden Sie --password-stdin.</translation>
        </message>
        <message>
            <source>Password: </source>
            <translation>Passwort: </translation>
        </message>
        <message>
            <source>Repeat password: </source>
            <translation>Passwort wiederholen: </translation>
        </message>
        <message>
            <source>The passwords do not match.</source>
            <translation>Die Passwörter stimmen nicht überein.</translation>
        </message>
        <message>
            <source>User %1 (%2) created.</source>
            <translation>Benutzer %1 (%2) angelegt.</translation>
        </message>
        <message>
            <source>active</source>
            <translation>aktiv</translation>
        </message>
        <message>
            <source>disabled</source>
            <translation>deaktiviert</translation>
        </message>
        <message>
            <source>(locked until %1)</source>
            <translation>(gesperrt bis %1)</translation>
        </message>
        <message>
            <source>(no server login)</source>
            <translation>(ohne Server-Anmeldung)</translation>
        </message>
        <message>
            <source>User %1 enabled.</source>
            <translation>Benutzer %1 aktiviert.</translation>
        </message>
        <message>
            <source>User %1 disabled.</source>
            <translation>Benutzer %1 deaktiviert.</translation>
        </message>
        <message>
            <source>%1 open sessions of %2 were ended.</source>
            <translation>%1 offene Sitzungen von %2 wurden beendet.</translation>
        </message>
        <message>
            <source>Warning: open sessions of %1 could not be ended (the database owner needs the role pg_signal_backend, see README). They end at their next reconnect.</source>
            <translation>Warnung: Offene Sitzungen von %1 konnten nicht beendet werden (der Datenbank-Eigentümer braucht die Rolle pg_signal_backend, siehe README). Sie enden bei ihrer nächsten Neuverbindung.</translation>
        </message>
        <message>
            <source>User %1 now has the role %2.</source>
            <translation>Benutzer %1 hat jetzt die Rolle %2.</translation>
        </message>
        <message>
            <source>Password of %1 changed.</source>
            <translation>Passwort von %1 geändert.</translation>
        </message>
        <message>
            <source>Fill the database with Leverkusen demo data</source>
            <translation>Datenbank mit Leverkusener Demodaten füllen</translation>
        </message>
        <message>
            <source>Number of incidents in the history</source>
            <translation>Anzahl der Einsätze in der Historie</translation>
        </message>
        <message>
            <source>Seed of the random generator</source>
            <translation>Startwert des Zufallsgenerators</translation>
        </message>
        <message>
            <source>Bodycam clips made with ffmpeg (0: none; default 5)</source>
            <translation>Bodycam-Aufnahmen, mit ffmpeg erzeugt (0: keine; Vorgabe 5)</translation>
        </message>
        <message>
            <source>Only if the database has no incidents yet (first start)</source>
            <translation>Nur wenn die Datenbank noch keine Einsätze enthält (Erststart)</translation>
        </message>
        <message>
            <source>--incidents must be between 0 and 5,000,000.</source>
            <translation>--incidents muss zwischen 0 und 5.000.000 liegen.</translation>
        </message>
    </context>
    <context>
        <name>config</name>
        <message>
            <source>The database address '%1' is not valid. Expected e.g. postgresql://user@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.</source>
            <translation>Die Datenbankadresse „%1“ ist ungültig. Erwartet z. B. postgresql://benutzer@server:5432/leitstelle oder sqlite:///C:/pfad/datei.sqlite.</translation>
        </message>
        <message>
            <source>The database address '%1' is malformed. Expected e.g. postgresql://user@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.</source>
            <translation>Die Datenbankadresse „%1“ ist fehlerhaft aufgebaut. Erwartet z. B. postgresql://benutzer@server:5432/leitstelle oder sqlite:///C:/pfad/datei.sqlite.</translation>
        </message>
        <message>
            <source>A SQLite database needs a file path, e.g. sqlite:///leitstelle.sqlite.</source>
            <translation>Eine SQLite-Datenbank braucht einen Dateipfad, z. B. sqlite:///leitstelle.sqlite.</translation>
        </message>
        <message>
            <source>The PostgreSQL address '%1' names no server.</source>
            <translation>In der PostgreSQL-Adresse „%1“ fehlt der Server.</translation>
        </message>
        <message>
            <source>The PostgreSQL address '%1' names no database.</source>
            <translation>In der PostgreSQL-Adresse „%1“ fehlt der Datenbankname.</translation>
        </message>
        <message>
            <source>The port %1 is not valid.</source>
            <translation>Der Port %1 ist ungültig.</translation>
        </message>
        <message>
            <source>The database type '%1' is not supported. Use PostgreSQL or SQLite.</source>
            <translation>Der Datenbanktyp „%1“ wird nicht unterstützt. Verwenden Sie PostgreSQL oder SQLite.</translation>
        </message>
    </context>
    <context>
        <name>custody</name>
        <message>
            <source>Chain of custody</source>
            <translation>Zugriffsprotokoll</translation>
        </message>
        <message>
            <source>Chain of custody of bodycam recording no. %1</source>
            <translation>Zugriffsprotokoll der Bodycam-Aufnahme Nr. %1</translation>
        </message>
        <message>
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <source>%1 bytes</source>
            <translation>%1 Byte</translation>
        </message>
        <message>
            <source>Recorded</source>
            <translation>Erfasst</translation>
        </message>
        <message>
            <source>Until</source>
            <translation>Bis</translation>
        </message>
        <message>
            <source>Officer</source>
            <translation>Dienstkraft</translation>
        </message>
        <message>
            <source>Camera</source>
            <translation>Kamera</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>This export</source>
            <translation>Dieser Export</translation>
        </message>
        <message>
            <source>Exported by</source>
            <translation>Exportiert von</translation>
        </message>
        <message>
            <source>Exported at</source>
            <translation>Exportiert am</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Empfänger</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Every access to the recording</source>
            <translation>Alle Zugriffe auf die Aufnahme</translation>
        </message>
        <message>
            <source>When</source>
            <translation>Wann</translation>
        </message>
        <message>
            <source>Who</source>
            <translation>Wer</translation>
        </message>
        <message>
            <source>What</source>
            <translation>Was</translation>
        </message>
        <message>
            <source>Why / to whom</source>
            <translation>Grund / Empfänger</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
        <message>
            <source>Taken from the tamper-evident audit log of the KOD-Leitstelle. The SHA-256 of the recording was computed at import and checked again for this export.</source>
            <translation>Entnommen aus dem manipulationsgesicherten Protokoll der KOD-Leitstelle. Der SHA-256 der Aufnahme wurde beim Import berechnet und für diesen Export erneut geprüft.</translation>
        </message>
    </context>
    <context>
        <name>database</name>
        <message>
            <source>The database %1 does not answer (network or server hangs).</source>
            <translation>Die Datenbank %1 antwortet nicht (Netzwerk oder Server hängt).</translation>
        </message>
        <message>
            <source>The database file %1 lies on a network share. SQLite cannot lock files safely there and data could be lost. Use a local file, or the shared PostgreSQL server for several workstations.</source>
            <translation>Die Datenbankdatei %1 liegt auf einer Netzwerkfreigabe. SQLite kann Dateien dort nicht sicher sperren, Daten könnten verloren gehen. Verwenden Sie eine lokale Datei oder – für mehrere Arbeitsplätze – den gemeinsamen PostgreSQL-Server.</translation>
        </message>
        <message>
            <source>%1 is a folder, not a database file.</source>
            <translation>%1 ist ein Ordner, keine Datenbankdatei.</translation>
        </message>
        <message>
            <source>The database file %1 cannot be read: %2</source>
            <translation>Die Datenbankdatei %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <source>The file %1 is not a SQLite database or is damaged. It was not changed. Restore it from a backup or choose another file.</source>
            <translation>Die Datei %1 ist keine SQLite-Datenbank oder ist beschädigt. Sie wurde nicht verändert. Stellen Sie sie aus einer Sicherung wieder her oder wählen Sie eine andere Datei.</translation>
        </message>
        <message>
            <source>The folder for the database %1 cannot be created: %2</source>
            <translation>Der Ordner für die Datenbank %1 kann nicht angelegt werden: %2</translation>
        </message>
        <message>
            <source>This session's database connection is closed.</source>
            <translation>Die Verbindung dieser Sitzung ist beendet.</translation>
        </message>
        <message>
            <source>The database %1 has not been set up yet. Run: kod-admin db upgrade</source>
            <translation>Die Datenbank %1 ist noch nicht eingerichtet. Ausführen: kod-admin db upgrade</translation>
        </message>
        <message>
            <source>The database %1 was set up by a newer version of KOD-Leitstelle (schema %2). Install the newer version on this workstation.</source>
            <translation>Die Datenbank %1 wurde von einer neueren Version der KOD-Leitstelle eingerichtet (Schema %2). Installieren Sie die neuere Version auf diesem Arbeitsplatz.</translation>
        </message>
        <message>
            <source>The database %1 has an older schema (%2, needed: %3). Ask the administrator to run: kod-admin db upgrade</source>
            <translation>Die Datenbank %1 hat ein älteres Schema (%2, benötigt: %3). Bitten Sie die Administration, diesen Befehl auszuführen: kod-admin db upgrade</translation>
        </message>
        <message>
            <source>The login is disabled on %1. Please contact the administration.</source>
            <translation>Die Anmeldung ist auf %1 gesperrt. Bitte wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>The PostgreSQL server %1 refused the login: user name or password is wrong.</source>
            <translation>Der PostgreSQL-Server %1 hat die Anmeldung abgelehnt: Benutzername oder Passwort falsch.</translation>
        </message>
        <message>
            <source>The PostgreSQL server %1 does not accept this login from this workstation (pg_hba.conf). Please contact the administration.</source>
            <translation>Der PostgreSQL-Server %1 lässt diese Anmeldung von diesem Arbeitsplatz nicht zu (pg_hba.conf). Bitte wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>The database on %1 does not exist.</source>
            <translation>Die Datenbank %1 existiert nicht.</translation>
        </message>
        <message>
            <source>The file %1 is not a SQLite database or is damaged.</source>
            <translation>Die Datei %1 ist keine SQLite-Datenbank oder ist beschädigt.</translation>
        </message>
        <message>
            <source>The database file %1 cannot be opened.</source>
            <translation>Die Datenbankdatei %1 kann nicht geöffnet werden.</translation>
        </message>
        <message>
            <source>The database %1 is busy (locked by another program).</source>
            <translation>Die Datenbank %1 ist belegt (von einem anderen Programm gesperrt).</translation>
        </message>
        <message>
            <source>The database %1 cannot be reached: %2</source>
            <translation>Die Datenbank %1 ist nicht erreichbar: %2</translation>
        </message>
        <message>
            <source>The database %1 is busy: another session holds a lock. Please try again.</source>
            <translation>Die Datenbank %1 ist belegt: Eine andere Sitzung hält eine Sperre. Bitte erneut versuchen.</translation>
        </message>
        <message>
            <source>The database refused the request: %1</source>
            <translation>Die Datenbank hat die Anfrage abgelehnt: %1</translation>
        </message>
    </context>
    <context>
        <name>demo</name>
        <message>
            <source>The database already holds %1 incidents; no demo data added.</source>
            <translation>Die Datenbank enthält bereits %1 Einsätze; es wurden keine Demodaten hinzugefügt.</translation>
        </message>
        <message>
            <source>Creating staff accounts and units …</source>
            <translation>Konten für Mitarbeitende und Einheiten werden angelegt …</translation>
        </message>
        <message>
            <source>Creating offence cases …</source>
            <translation>OWi-Fälle anlegen …</translation>
        </message>
        <message>
            <source>Demo data created: %1 incidents, %2 rows in all, in %3 s (%4 rows/s).</source>
            <translation>Demodaten angelegt: %1 Einsätze, insgesamt %2 Zeilen, in %3 s (%4 Zeilen/s).</translation>
        </message>
        <message>
            <source>Demo logins: disponent, schichtleitung, sachbearbeitung, datenschutz, admin – password: %1</source>
            <translation>Demo-Anmeldungen: disponent, schichtleitung, sachbearbeitung, datenschutz, admin – Passwort: %1</translation>
        </message>
        <message>
            <source>Generating %1 incidents over %2 days …</source>
            <translation>%1 Einsätze über %2 Tage werden erzeugt …</translation>
        </message>
        <message>
            <source>%1 of %2 incidents …</source>
            <translation>%1 von %2 Einsätzen …</translation>
        </message>
        <message>
            <source>ffmpeg is not installed: the demo data gets no bodycam clips.</source>
            <translation>ffmpeg ist nicht installiert: Die Demodaten erhalten keine Bodycam-Aufnahmen.</translation>
        </message>
        <message>
            <source>No bodycam clips in the demo data: %1</source>
            <translation>Keine Bodycam-Aufnahmen in den Demodaten: %1</translation>
        </message>
        <message>
            <source>No incidents of the last days with units: no bodycam clips.</source>
            <translation>Keine Einsätze der letzten Tage mit Einheiten: keine Bodycam-Aufnahmen.</translation>
        </message>
        <message>
            <source>Creating %1 bodycam clips with ffmpeg …</source>
            <translation>Erzeuge %1 Bodycam-Aufnahmen mit ffmpeg …</translation>
        </message>
        <message>
            <source>Loading the demo gazetteer (%1 addresses) …</source>
            <translation>Demo-Adressverzeichnis wird geladen (%1 Adressen) …</translation>
        </message>
    </context>
    <context>
        <name>emergency</name>
        <message>
            <source>No alarm sound: %1</source>
            <translation>Kein Alarmton: %1</translation>
        </message>
        <message>
            <source>An emergency (Notruf) is only shown on the screen: check the audio output of this workstation.</source>
            <translation>Ein Notruf wird nur auf dem Bildschirm angezeigt: bitte die Audioausgabe dieses Arbeitsplatzes prüfen.</translation>
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <source>A value is too long or not valid and was not stored. Please check the input.</source>
            <translation>Ein Wert ist zu lang oder ungültig und wurde nicht gespeichert. Bitte die Eingabe prüfen.</translation>
        </message>
        <message>
            <source>Your role (%1) is not allowed to do this: %2.</source>
            <translation>Ihre Rolle (%1) ist hierzu nicht berechtigt: %2.</translation>
        </message>
        <message>
            <source>The database server refused this action: your login lacks the right to do it (%1).</source>
            <translation>Der Datenbankserver hat diese Aktion abgelehnt: Ihrer Anmeldung fehlt das Recht dazu (%1).</translation>
        </message>
        <message>
            <source>This record was changed by someone else in the meantime (version %1, you edited version %2). Nothing was overwritten.</source>
            <translation>Dieser Datensatz wurde inzwischen von jemand anderem geändert (Version %1, Sie haben Version %2 bearbeitet). Es wurde nichts überschrieben.</translation>
        </message>
    </context>
    <context>
        <name>evidence</name>
        <message>
            <source>OWi proceedings</source>
            <translation>OWi-Verfahren</translation>
        </message>
        <message>
            <source>Criminal proceedings</source>
            <translation>Strafverfahren</translation>
        </message>
        <message>
            <source>Averting danger</source>
            <translation>Gefahrenabwehr</translation>
        </message>
        <message>
            <source>Review requested by the person recorded</source>
            <translation>Prüfung auf Antrag der betroffenen Person</translation>
        </message>
        <message>
            <source>The recording was encrypted with another master key (%1); the configured master key is %2. Configure the right key file.</source>
            <translation>Die Aufnahme wurde mit einem anderen Hauptschlüssel verschlüsselt (%1); eingerichtet ist der Hauptschlüssel %2. Bitte die richtige Schlüsseldatei einrichten.</translation>
        </message>
        <message>
            <source>The key of the recording %1 does not open with the master key: it was changed or belongs to another recording.</source>
            <translation>Der Schlüssel der Aufnahme %1 lässt sich mit dem Hauptschlüssel nicht öffnen: Er wurde verändert oder gehört zu einer anderen Aufnahme.</translation>
        </message>
        <message>
            <source>The master key file for bodycam recordings is missing: %1. Without it no recording can be stored or opened. Create it once with 'kod-admin recordings keygen' or set KOD_RECORDING_KEY_FILE to where it is.</source>
            <translation>Die Hauptschlüsseldatei für Bodycam-Aufnahmen fehlt: %1. Ohne sie kann keine Aufnahme gespeichert oder geöffnet werden. Einmalig mit „kod-admin recordings keygen“ anlegen oder KOD_RECORDING_KEY_FILE auf ihren Ort setzen.</translation>
        </message>
        <message>
            <source>The master key file %1 cannot be read: %2</source>
            <translation>Die Hauptschlüsseldatei %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <source>The master key file %1 is malformed: it must hold exactly one line with 32 bytes in Base64. Restore it from the key backup; recordings encrypted with the lost key cannot be opened.</source>
            <translation>Die Hauptschlüsseldatei %1 ist fehlerhaft: Sie muss genau eine Zeile mit 32 Byte in Base64 enthalten. Bitte aus der Schlüsselsicherung wiederherstellen; mit einem verlorenen Schlüssel verschlüsselte Aufnahmen lassen sich nicht mehr öffnen.</translation>
        </message>
        <message>
            <source>%1 exists already. A master key is never overwritten: recordings encrypted with it could no longer be opened.</source>
            <translation>%1 existiert bereits. Ein Hauptschlüssel wird nie überschrieben: Damit verschlüsselte Aufnahmen ließen sich sonst nicht mehr öffnen.</translation>
        </message>
        <message>
            <source>The file %1 is empty (0 bytes).</source>
            <translation>Die Datei %1 ist leer (0 Byte).</translation>
        </message>
        <message>
            <source>The file %1 is not a video that can be played: no picture track was found in it.</source>
            <translation>Die Datei %1 ist kein Video, das sich abspielen lässt: Sie enthält keine Bildspur.</translation>
        </message>
        <message>
            <source>The file %1 is incomplete: its index is missing (the recording was not finished properly, e.g. the battery failed).</source>
            <translation>Die Datei %1 ist unvollständig: Ihr Index fehlt (die Aufnahme wurde nicht ordentlich beendet, z. B. weil der Akku leer war).</translation>
        </message>
        <message>
            <source>The file %1 is incomplete: it ends after %2 bytes, but its own structure announces more. It was probably cut off while copying.</source>
            <translation>Die Datei %1 ist unvollständig: Sie endet nach %2 Byte, ihr eigener Aufbau kündigt aber mehr an. Sie wurde vermutlich beim Kopieren abgeschnitten.</translation>
        </message>
        <message>
            <source>libvlc is not installed; recordings cannot be read: %1</source>
            <translation>libvlc ist nicht installiert; Aufnahmen können nicht gelesen werden: %1</translation>
        </message>
        <message>
            <source>libvlc could not be started.</source>
            <translation>libvlc konnte nicht gestartet werden.</translation>
        </message>
        <message>
            <source>The export was cancelled.</source>
            <translation>Der Export wurde abgebrochen.</translation>
        </message>
        <message>
            <source>The stored recording does not match its recorded SHA-256 (%1 instead of %2): it is not exported.</source>
            <translation>Die gespeicherte Aufnahme stimmt nicht mit ihrem SHA-256 überein (%1 statt %2): Sie wird nicht exportiert.</translation>
        </message>
        <message>
            <source>%1 exists already; choose another folder.</source>
            <translation>%1 gibt es bereits; bitte einen anderen Ordner wählen.</translation>
        </message>
        <message>
            <source>The package cannot be written to %1: %2</source>
            <translation>Das Paket kann nicht nach %1 geschrieben werden: %2</translation>
        </message>
        <message>
            <source>The import was cancelled.</source>
            <translation>Der Import wurde abgebrochen.</translation>
        </message>
        <message>
            <source>the header is missing</source>
            <translation>der Kopfteil fehlt</translation>
        </message>
        <message>
            <source>it is not a sealed recording of this program</source>
            <translation>es ist keine von diesem Programm verschlüsselte Aufnahme</translation>
        </message>
        <message>
            <source>the file belongs to another recording</source>
            <translation>die Datei gehört zu einer anderen Aufnahme</translation>
        </message>
        <message>
            <source>the end of the file is cut off</source>
            <translation>das Ende der Datei ist abgeschnitten</translation>
        </message>
        <message>
            <source>The stored recording %1 is damaged or was tampered with (%2). It must not be used as evidence in this state.</source>
            <translation>Die gespeicherte Aufnahme %1 ist beschädigt oder wurde manipuliert (%2). In diesem Zustand darf sie nicht als Beweismittel verwendet werden.</translation>
        </message>
        <message>
            <source>block %1 of %2 fails its check</source>
            <translation>Block %1 von %2 besteht die Prüfung nicht</translation>
        </message>
        <message>
            <source>it is not valid JSON</source>
            <translation>sie ist kein gültiges JSON</translation>
        </message>
        <message>
            <source>'location' must be an object</source>
            <translation>„location“ muss ein Objekt sein</translation>
        </message>
        <message>
            <source>The metadata file %1 cannot be used: %2. Correct it or enter the details in the import dialog; the video stays in the import folder.</source>
            <translation>Die Metadatendatei %1 ist nicht verwendbar: %2. Bitte korrigieren oder die Angaben im Importdialog eintragen; das Video bleibt im Importordner.</translation>
        </message>
        <message>
            <source>'%1' must be text</source>
            <translation>„%1“ muss ein Text sein</translation>
        </message>
        <message>
            <source>'%1' must be true or false</source>
            <translation>„%1“ muss true oder false sein</translation>
        </message>
        <message>
            <source>'%1' must be a coordinate</source>
            <translation>„%1“ muss eine Koordinate sein</translation>
        </message>
        <message>
            <source>'%1' must be a date and time with time zone (ISO 8601)</source>
            <translation>„%1“ muss ein Datum mit Uhrzeit und Zeitzone sein (ISO 8601)</translation>
        </message>
        <message>
            <source>The recording store %1 cannot be used: %2. Check the folder (or the share) and KOD_RECORDING_STORE.</source>
            <translation>Der Aufnahmespeicher %1 ist nicht nutzbar: %2. Bitte den Ordner (oder die Freigabe) und KOD_RECORDING_STORE prüfen.</translation>
        </message>
        <message>
            <source>The store already holds %1.</source>
            <translation>Der Speicher enthält %1 bereits.</translation>
        </message>
        <message>
            <source>Writing to the recording store failed: %1</source>
            <translation>Schreiben in den Aufnahmespeicher fehlgeschlagen: %1</translation>
        </message>
        <message>
            <source>%1 could not be removed from the store: %2</source>
            <translation>%1 konnte nicht aus dem Speicher entfernt werden: %2</translation>
        </message>
        <message>
            <source>The recording store %1 cannot be read: %2</source>
            <translation>Der Aufnahmespeicher %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <source>The recording %1 is missing from the store %2.</source>
            <translation>Die Aufnahme %1 fehlt im Speicher %2.</translation>
        </message>
        <message>
            <source>The recording %1 cannot be read: %2</source>
            <translation>Die Aufnahme %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <source>Please state why you open this recording (at least %1 characters); every opening is recorded with its reason.</source>
            <translation>Bitte den Grund angeben, aus dem Sie diese Aufnahme öffnen (mindestens %1 Zeichen); jedes Öffnen wird mit seinem Grund protokolliert.</translation>
        </message>
        <message>
            <source>The recording no. %1 does not exist or was deleted.</source>
            <translation>Die Aufnahme Nr. %1 gibt es nicht oder sie wurde gelöscht.</translation>
        </message>
        <message>
            <source>The recording no. %1 failed its integrity check: it was changed or damaged after it was imported. It is not played. The finding has been recorded in the audit log; please inform the data-protection officer.</source>
            <translation>Die Aufnahme Nr. %1 hat die Integritätsprüfung nicht bestanden: Sie wurde nach dem Import verändert oder beschädigt. Sie wird nicht abgespielt. Der Befund ist im Prüfprotokoll festgehalten; bitte informieren Sie die Datenschutzbeauftragte bzw. den Datenschutzbeauftragten.</translation>
        </message>
        <message>
            <source>Imported as recording no. %1 (SHA-256 %2…, checked by reading it back).</source>
            <translation>Als Aufnahme Nr. %1 importiert (SHA-256 %2…, durch Zurücklesen geprüft).</translation>
        </message>
        <message>
            <source>Proposed incident: %1 (please confirm).</source>
            <translation>Vorgeschlagener Einsatz: %1 (bitte bestätigen).</translation>
        </message>
        <message>
            <source>No incident found for the unit at that time.</source>
            <translation>Für die Streife wurde zu der Zeit kein Einsatz gefunden.</translation>
        </message>
        <message>
            <source>The original could not be removed from the import folder.</source>
            <translation>Das Original konnte nicht aus dem Importordner entfernt werden.</translation>
        </message>
        <message>
            <source>Not imported: the import was cancelled.</source>
            <translation>Nicht importiert: Der Import wurde abgebrochen.</translation>
        </message>
        <message>
            <source>The file stays in its folder.</source>
            <translation>Die Datei bleibt in ihrem Ordner.</translation>
        </message>
        <message>
            <source>Please state why the recording is exported (at least %1 characters).</source>
            <translation>Bitte geben Sie den Grund des Exports an (mindestens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Please name the recipient of the export.</source>
            <translation>Bitte geben Sie den Empfänger des Exports an.</translation>
        </message>
        <message>
            <source>The password must have at least %1 characters.</source>
            <translation>Das Passwort muss mindestens %1 Zeichen lang sein.</translation>
        </message>
        <message>
            <source>confirm your own proposal</source>
            <translation>den eigenen Antrag bestätigen</translation>
        </message>
        <message>
            <source>A hold is set or lifted by two different people: the proposal must be confirmed by someone else (the recording officer's supervisor).</source>
            <translation>Eine Sperre setzen oder aufheben zwei verschiedene Personen: Den Antrag muss jemand anderes bestätigen (die vorgesetzte Person der aufnehmenden Einsatzkraft).</translation>
        </message>
        <message>
            <source>Please state the reason for the hold (at least %1 characters).</source>
            <translation>Bitte geben Sie den Grund der Sperre an (mindestens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Unknown kind of hold: %1</source>
            <translation>Unbekannte Art der Sperre: %1</translation>
        </message>
        <message>
            <source>A hold for proceedings needs the file number (Aktenzeichen).</source>
            <translation>Eine Sperre für ein Verfahren braucht das Aktenzeichen.</translation>
        </message>
        <message>
            <source>The file number is too long.</source>
            <translation>Das Aktenzeichen ist zu lang.</translation>
        </message>
        <message>
            <source>This hold was lifted already.</source>
            <translation>Diese Sperre wurde bereits aufgehoben.</translation>
        </message>
        <message>
            <source>The hold no. %1 does not exist.</source>
            <translation>Die Sperre Nr. %1 gibt es nicht.</translation>
        </message>
        <message>
            <source>This hold is not waiting for a confirmation.</source>
            <translation>Diese Sperre wartet nicht auf eine Bestätigung.</translation>
        </message>
        <message>
            <source>Lifting this hold was not proposed.</source>
            <translation>Die Aufhebung dieser Sperre wurde nicht beantragt.</translation>
        </message>
        <message>
            <source>The file %1 does not exist.</source>
            <translation>Die Datei %1 existiert nicht.</translation>
        </message>
        <message>
            <source>The file %1 changed while it was being imported (is it still being copied?). Nothing was stored; import it again when it is complete.</source>
            <translation>Die Datei %1 hat sich während des Imports verändert (wird sie noch kopiert?). Es wurde nichts gespeichert; bitte erneut importieren, wenn sie vollständig ist.</translation>
        </message>
        <message>
            <source>The stored copy does not match the original when read back. Nothing was kept; the original stays in the import folder.</source>
            <translation>Die gespeicherte Kopie stimmt beim Zurücklesen nicht mit dem Original überein. Es wurde nichts behalten; das Original bleibt im Importordner.</translation>
        </message>
        <message>
            <source>recording officer</source>
            <translation>aufnehmende Dienstkraft</translation>
        </message>
        <message>
            <source>camera</source>
            <translation>Kamera</translation>
        </message>
        <message>
            <source>start of the recording</source>
            <translation>Beginn der Aufnahme</translation>
        </message>
        <message>
            <source>reason for recording (the concrete danger)</source>
            <translation>Anlass der Aufnahme (die konkrete Gefahr)</translation>
        </message>
        <message>
            <source>whether the recording was announced</source>
            <translation>ob die Aufnahme angekündigt wurde</translation>
        </message>
        <message>
            <source>Details of the recording are missing: %1. Enter them in the import dialog (or in the camera's metadata file); the video stays in the import folder.</source>
            <translation>Angaben zur Aufnahme fehlen: %1. Bitte im Importdialog (oder in der Metadatendatei der Kamera) eintragen; das Video bleibt im Importordner.</translation>
        </message>
        <message>
            <source>A recording inside a home needs the name of whoever ordered it.</source>
            <translation>Eine Aufnahme in einer Wohnung braucht den Namen der Person, die sie angeordnet hat.</translation>
        </message>
        <message>
            <source>The end of the recording is not known: please enter it.</source>
            <translation>Das Ende der Aufnahme ist nicht bekannt: bitte eintragen.</translation>
        </message>
        <message>
            <source>The recording cannot end before it starts.</source>
            <translation>Die Aufnahme kann nicht enden, bevor sie beginnt.</translation>
        </message>
        <message>
            <source>The file %1 was imported before (recording no. %2, same SHA-256 %3). It is not stored a second time.</source>
            <translation>Die Datei %1 wurde bereits importiert (Aufnahme Nr. %2, gleicher SHA-256 %3). Sie wird kein zweites Mal gespeichert.</translation>
        </message>
        <message>
            <source>%1 The file could not be moved to the quarantine folder %2 (%3) and stays where it is.</source>
            <translation>%1 Die Datei konnte nicht in den Quarantäneordner %2 verschoben werden (%3) und bleibt, wo sie ist.</translation>
        </message>
        <message>
            <source>The file was moved to the quarantine folder: %1</source>
            <translation>Die Datei wurde in den Quarantäneordner verschoben: %1</translation>
        </message>
        <message>
            <source>There is no user account '%1' for the recording officer.</source>
            <translation>Für die aufnehmende Dienstkraft gibt es kein Benutzerkonto „%1“.</translation>
        </message>
        <message>
            <source>There is no unit with the call sign '%1'.</source>
            <translation>Es gibt keine Einheit mit dem Rufnamen „%1“.</translation>
        </message>
        <message>
            <source>The incident no. %1 does not exist.</source>
            <translation>Den Einsatz Nr. %1 gibt es nicht.</translation>
        </message>
        <message>
            <source>Please write a note for the bookmark.</source>
            <translation>Bitte schreiben Sie eine Notiz zum Lesezeichen.</translation>
        </message>
        <message>
            <source>The note is too long (at most %1 characters).</source>
            <translation>Die Notiz ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>The bookmark no longer exists.</source>
            <translation>Das Lesezeichen gibt es nicht mehr.</translation>
        </message>
        <message>
            <source>The snapshot is empty.</source>
            <translation>Das Standbild ist leer.</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Person</source>
            <translation>Person</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
        <message>
            <source>Action (plain text)</source>
            <translation>Aktion (Klartext)</translation>
        </message>
        <message>
            <source>Recording</source>
            <translation>Aufnahme</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Empfänger</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>Arbeitsplatz</translation>
        </message>
        <message>
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <source>Recorded</source>
            <translation>Erfasst</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fällig</translation>
        </message>
        <message>
            <source>Deleted</source>
            <translation>Gelöscht</translation>
        </message>
        <message>
            <source>File removed</source>
            <translation>Datei entfernt</translation>
        </message>
        <message>
            <source>Its key is missing: the recording cannot be opened.</source>
            <translation>Ihr Schlüssel fehlt: Die Aufnahme kann nicht geöffnet werden.</translation>
        </message>
        <message>
            <source>The file %1 is missing from the store.</source>
            <translation>Die Datei %1 fehlt im Speicher.</translation>
        </message>
        <message>
            <source>Its SHA-256 is %1, but %2 was recorded at import: the content was changed.</source>
            <translation>Ihr SHA-256 ist %1, beim Import wurde aber %2 festgehalten: Der Inhalt wurde verändert.</translation>
        </message>
        <message>
            <source>intact (every block and the SHA-256 checked)</source>
            <translation>unversehrt (jeder Block und der SHA-256 geprüft)</translation>
        </message>
        <message>
            <source>Bodycam recordings cannot be used on this workstation: %1 Please ask the administration to set up the master key file (KOD_RECORDING_KEY_FILE) and the recording store (KOD_RECORDING_STORE).</source>
            <translation>Bodycam-Aufnahmen können an diesem Arbeitsplatz nicht genutzt werden: %1 Bitte lassen Sie die Administration die Hauptschlüsseldatei (KOD_RECORDING_KEY_FILE) und den Aufnahmespeicher (KOD_RECORDING_STORE) einrichten.</translation>
        </message>
        <message>
            <source>The video component (libVLC) is not installed on this workstation, so recordings cannot be played. Please ask the administration.</source>
            <translation>Die Videokomponente (libVLC) ist an diesem Arbeitsplatz nicht installiert, daher können keine Aufnahmen abgespielt werden. Bitte wenden Sie sich an die Administration.</translation>
        </message>
    </context>
    <context>
        <name>field</name>
        <message>
            <source>Name the device (1 to %1 characters, e.g. Handy 17).</source>
            <translation>Bitte das Gerät benennen (1 bis %1 Zeichen, z. B. Handy 17).</translation>
        </message>
        <message>
            <source>There is no user %1.</source>
            <translation>Es gibt keinen Benutzer %1.</translation>
        </message>
        <message>
            <source>A field device can only be registered for an active field officer.</source>
            <translation>Ein Gerät kann nur für eine aktive Person des Außendienstes registriert werden.</translation>
        </message>
        <message>
            <source>There is no unit in service called %1.</source>
            <translation>Es gibt keine Einheit %1 im Dienst.</translation>
        </message>
        <message>
            <source>There is no field device %1.</source>
            <translation>Es gibt kein Gerät %1.</translation>
        </message>
        <message>
            <source>The field device %1 is revoked.</source>
            <translation>Das Gerät %1 ist widerrufen.</translation>
        </message>
        <message>
            <source>The device token is not valid, expired or revoked.</source>
            <translation>Das Token des Geräts ist ungültig, abgelaufen oder widerrufen.</translation>
        </message>
        <message>
            <source>The officer of this device may not use it (account disabled).</source>
            <translation>Die Person dieses Geräts darf es nicht verwenden (Konto gesperrt).</translation>
        </message>
        <message>
            <source>%1 is not on the crew of %2 at the moment; ask the control room.</source>
            <translation>%1 gehört derzeit nicht zur Besatzung von %2; bitte bei der Leitstelle melden.</translation>
        </message>
        <message>
            <source>Unknown kind of assignment '%1'.</source>
            <translation>Unbekannte Art von Auftrag „%1“.</translation>
        </message>
        <message>
            <source>This assignment is not (or no longer) for your unit.</source>
            <translation>Dieser Auftrag ist nicht (mehr) für Ihre Einheit.</translation>
        </message>
        <message>
            <source>Too many requests from this device. Please wait %1 s.</source>
            <translation>Zu viele Anfragen von diesem Gerät. Bitte %1 s warten.</translation>
        </message>
        <message>
            <source>This address does not exist.</source>
            <translation>Diese Adresse gibt es nicht.</translation>
        </message>
        <message>
            <source>This method is not allowed here.</source>
            <translation>Diese Methode ist hier nicht erlaubt.</translation>
        </message>
        <message>
            <source>The request is too large.</source>
            <translation>Die Anfrage ist zu groß.</translation>
        </message>
        <message>
            <source>The field %1 is missing or not valid.</source>
            <translation>Das Feld %1 fehlt oder ist ungültig.</translation>
        </message>
        <message>
            <source>The request is not valid.</source>
            <translation>Die Anfrage ist ungültig.</translation>
        </message>
        <message>
            <source>The request failed.</source>
            <translation>Die Anfrage ist fehlgeschlagen.</translation>
        </message>
        <message>
            <source>An internal error occurred. It was logged.</source>
            <translation>Ein interner Fehler ist aufgetreten. Er wurde protokolliert.</translation>
        </message>
        <message>
            <source>The Idempotency-Key must be 8 to 64 letters, digits, - or _.</source>
            <translation>Der Idempotency-Key muss aus 8 bis 64 Buchstaben, Ziffern, - oder _ bestehen.</translation>
        </message>
        <message>
            <source>This Idempotency-Key was used for another request.</source>
            <translation>Dieser Idempotency-Key wurde schon für einen anderen Vorgang verwendet.</translation>
        </message>
        <message>
            <source>This Idempotency-Key was used for the same call with another content.</source>
            <translation>Dieser Idempotency-Key wurde für denselben Aufruf mit anderem Inhalt verwendet.</translation>
        </message>
        <message>
            <source>This request was processed already and is not processed again; its answer was too large to keep. The data is at the control room.</source>
            <translation>Diese Anfrage wurde bereits verarbeitet und wird nicht erneut verarbeitet; ihre Antwort war zu groß zum Aufbewahren. Die Daten liegen in der Leitstelle vor.</translation>
        </message>
        <message>
            <source>This request is still being processed. Please try again.</source>
            <translation>Dieser Vorgang wird noch verarbeitet. Bitte gleich erneut senden.</translation>
        </message>
        <message>
            <source>It is not known whether this request arrived: the service was interrupted while processing it. It will not be processed again; please check with the control room.</source>
            <translation>Ob diese Sendung angekommen ist, ist unklar: Der Dienst wurde während der Verarbeitung unterbrochen. Sie wird nicht noch einmal verarbeitet; bitte in der Leitstelle nachfragen.</translation>
        </message>
        <message>
            <source>The request is too large (at most %1 MB).</source>
            <translation>Die Anfrage ist zu groß (höchstens %1 MB).</translation>
        </message>
        <message>
            <source>The field interface: HTTP API for the officers' devices.</source>
            <translation>Die Schnittstelle zum Außendienst: HTTP-API für die Geräte der Einsatzkräfte.</translation>
        </message>
        <message>
            <source>database URL (else KOD_DATABASE_URL, else the local SQLite file)</source>
            <translation>Datenbank-URL (sonst KOD_DATABASE_URL, sonst die lokale SQLite-Datei)</translation>
        </message>
        <message>
            <source>address to listen on (default 127.0.0.1:8470; behind the reverse proxy)</source>
            <translation>Adresse, auf der gelauscht wird (Vorgabe 127.0.0.1:8470; hinter dem Reverse Proxy)</translation>
        </message>
        <message>
            <source>write the OpenAPI document to FILE and exit</source>
            <translation>das OpenAPI-Dokument in DATEI schreiben und beenden</translation>
        </message>
        <message>
            <source>processes serving the API (PostgreSQL only; default 1): about one per processor core for hundreds of devices</source>
            <translation>Prozesse, die die Schnittstelle bedienen (nur PostgreSQL; Standard 1): für Hunderte Geräte etwa einer je Prozessorkern</translation>
        </message>
        <message>
            <source>--bind needs HOST:PORT, e.g. 127.0.0.1:8470.</source>
            <translation>--bind braucht HOST:PORT, z. B. 127.0.0.1:8470.</translation>
        </message>
        <message>
            <source>--workers needs a whole number from 1 to %1.</source>
            <translation>--workers braucht eine ganze Zahl von 1 bis %1.</translation>
        </message>
        <message>
            <source>Several processes (--workers) need the shared PostgreSQL; on a SQLite file the API runs as one process.</source>
            <translation>Mehrere Prozesse (--workers) brauchen die gemeinsame PostgreSQL-Datenbank; mit einer SQLite-Datei läuft die Schnittstelle als ein Prozess.</translation>
        </message>
        <message>
            <source>The device token is missing (Authorization: Bearer …).</source>
            <translation>Das Token des Geräts fehlt (Authorization: Bearer …).</translation>
        </message>
        <message>
            <source>At most %1 photos per request.</source>
            <translation>Höchstens %1 Fotos je Anfrage.</translation>
        </message>
        <message>
            <source>Photo %1</source>
            <translation>Foto %1</translation>
        </message>
        <message>
            <source>The time of the act needs a time zone (e.g. +01:00).</source>
            <translation>Die Tatzeit braucht eine Zeitzone (z. B. +01:00).</translation>
        </message>
        <message>
            <source>Unknown message.</source>
            <translation>Unbekannte Nachricht.</translation>
        </message>
        <message>
            <source>The acknowledgement needs kind and id.</source>
            <translation>Die Bestätigung braucht kind und id.</translation>
        </message>
    </context>
    <context>
        <name>fields</name>
        <message>
            <source>Description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Meldende Person</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Telefon</translation>
        </message>
        <message>
            <source>Text</source>
            <translation>Text</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>Titel</translation>
        </message>
        <message>
            <source>Subject</source>
            <translation>Betreff</translation>
        </message>
        <message>
            <source>Reporter</source>
            <translation>Meldende Person</translation>
        </message>
        <message>
            <source>Contact</source>
            <translation>Kontakt</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Vermerk</translation>
        </message>
        <message>
            <source>Outcome note</source>
            <translation>Abschlussvermerk</translation>
        </message>
        <message>
            <source>Follow-up note</source>
            <translation>Wiedervorlage-Notiz</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Call sign</source>
            <translation>Funkrufname</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fällig</translation>
        </message>
        <message>
            <source>Follow-up</source>
            <translation>Wiedervorlage</translation>
        </message>
    </context>
    <context>
        <name>gazetteer</name>
        <message>
            <source>The file %1 does not exist.</source>
            <translation>Die Datei %1 existiert nicht.</translation>
        </message>
        <message>
            <source>The file %1 cannot be read: %2</source>
            <translation>Die Datei %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <source>%1 %2 (%3) appears twice with different postcodes (%4 and %5); only the first is kept.</source>
            <translation>%1 %2 (%3) kommt doppelt mit unterschiedlichen Postleitzahlen vor (%4 und %5); nur der erste Eintrag wird übernommen.</translation>
        </message>
        <message>
            <source>The street name '%1…' is too long (at most %2 characters).</source>
            <translation>Der Straßenname „%1…“ ist zu lang (höchstens %2 Zeichen).</translation>
        </message>
        <message>
            <source>The house number '%1' of %2 is too long (at most %3 characters).</source>
            <translation>Die Hausnummer „%1“ (%2) ist zu lang (höchstens %3 Zeichen).</translation>
        </message>
        <message>
            <source>The district name '%1' is too long.</source>
            <translation>Der Stadtteilname „%1“ ist zu lang.</translation>
        </message>
    </context>
    <context>
        <name>geo</name>
        <message>
            <source>N</source>
            <translation>N</translation>
        </message>
        <message>
            <source>S</source>
            <translation>S</translation>
        </message>
        <message>
            <source>E</source>
            <translation>O</translation>
        </message>
        <message>
            <source>W</source>
            <translation>W</translation>
        </message>
    </context>
    <context>
        <name>handover</name>
        <message>
            <source>The hand-over file is too large (at most %1 MB).</source>
            <translation>Die Abgabedatei ist zu groß (höchstens %1 MB).</translation>
        </message>
        <message>
            <source>The hand-over file is not well-formed XML (line %1): %2</source>
            <translation>Die Abgabedatei ist kein wohlgeformtes XML (Zeile %1): %2</translation>
        </message>
        <message>
            <source>The hand-over file must not contain a DOCTYPE declaration.</source>
            <translation>Die Abgabedatei darf keine DOCTYPE-Deklaration enthalten.</translation>
        </message>
        <message>
            <source>line %1: %2</source>
            <translation>Zeile %1: %2</translation>
        </message>
        <message>
            <source>The hand-over file does not match the schema %1: %2</source>
            <translation>Die Abgabedatei entspricht nicht dem Schema %1: %2</translation>
        </message>
        <message>
            <source>Case %1 has no Verwarnung: there is no certificate to print.</source>
            <translation>Der Fall %1 hat keine Verwarnung: Es gibt keine Bescheinigung zu drucken.</translation>
        </message>
        <message>
            <source>These offence cases do not exist: %1</source>
            <translation>Diese Ordnungswidrigkeitenfälle existieren nicht: %1</translation>
        </message>
        <message>
            <source>Choose at least one case for the hand-over.</source>
            <translation>Wählen Sie mindestens einen Fall für die Abgabe.</translation>
        </message>
        <message>
            <source>At most %1 cases fit in one hand-over file.</source>
            <translation>Eine Abgabedatei fasst höchstens %1 Fälle.</translation>
        </message>
        <message>
            <source>Only checked, heard or handed-over cases go to the Bußgeldstelle; not: %1</source>
            <translation>An die Bußgeldstelle gehen nur geprüfte, angehörte oder abgegebene Fälle; nicht: %1</translation>
        </message>
    </context>
    <context>
        <name>images</name>
        <message>
            <source>The photo</source>
            <translation>Das Foto</translation>
        </message>
        <message>
            <source>%1 is too large (at most %2 MB).</source>
            <translation>%1 ist zu groß (höchstens %2 MB).</translation>
        </message>
        <message>
            <source>%1 is not a JPEG, PNG or WebP picture.</source>
            <translation>%1 ist kein JPEG-, PNG- oder WebP-Bild.</translation>
        </message>
        <message>
            <source>%1 has too many pixels (at most %2 million).</source>
            <translation>%1 hat zu viele Bildpunkte (höchstens %2 Millionen).</translation>
        </message>
        <message>
            <source>%1 is damaged or incomplete and cannot be read.</source>
            <translation>%1 ist beschädigt oder unvollständig und kann nicht gelesen werden.</translation>
        </message>
    </context>
    <context>
        <name>incident_fields</name>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Priority</source>
            <translation>Priorität</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>Latitude</source>
            <translation>Breitengrad</translation>
        </message>
        <message>
            <source>Longitude</source>
            <translation>Längengrad</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Meldende Person</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Telefon</translation>
        </message>
        <message>
            <source>Description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source>District</source>
            <translation>Stadtteil</translation>
        </message>
    </context>
    <context>
        <name>incident_report</name>
        <message>
            <source>none</source>
            <translation>keine</translation>
        </message>
        <message>
            <source>Incident report</source>
            <translation>Einsatzbericht</translation>
        </message>
        <message>
            <source>Incident-report-%1</source>
            <translation>Einsatzbericht-%1</translation>
        </message>
        <message>
            <source>Incident report %1</source>
            <translation>Einsatzbericht %1</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Priority</source>
            <translation>Priorität</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Place</source>
            <translation>Ort</translation>
        </message>
        <message>
            <source>Coordinates</source>
            <translation>Koordinaten</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Meldende Person</translation>
        </message>
        <message>
            <source>Caller's phone</source>
            <translation>Telefon Anrufer/in</translation>
        </message>
        <message>
            <source>Description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source>Times</source>
            <translation>Zeiten</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Eingang</translation>
        </message>
        <message>
            <source>Dispatched</source>
            <translation>Alarmiert</translation>
        </message>
        <message>
            <source>First unit on scene</source>
            <translation>Erste Einheit vor Ort</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Abgeschlossen</translation>
        </message>
        <message>
            <source>Outcome</source>
            <translation>Einsatzergebnis</translation>
        </message>
        <message>
            <source>Note on the outcome</source>
            <translation>Vermerk zum Ergebnis</translation>
        </message>
        <message>
            <source>Units</source>
            <translation>Einheiten</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Alarmed</source>
            <translation>Alarmiert</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>Übernommen</translation>
        </message>
        <message>
            <source>On scene</source>
            <translation>Am Einsatzort</translation>
        </message>
        <message>
            <source>Released</source>
            <translation>Freigegeben</translation>
        </message>
        <message>
            <source>Status times of the units</source>
            <translation>Statuszeiten der Einheiten</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Journal (Einsatztagebuch)</source>
            <translation>Einsatztagebuch</translation>
        </message>
        <message>
            <source>By</source>
            <translation>Von</translation>
        </message>
        <message>
            <source>Entry</source>
            <translation>Eintrag</translation>
        </message>
        <message>
            <source>Linked items</source>
            <translation>Verknüpft</translation>
        </message>
        <message>
            <source>Report (Meldung)</source>
            <translation>Meldung</translation>
        </message>
        <message>
            <source>Tasks (Aufträge)</source>
            <translation>Aufträge</translation>
        </message>
        <message>
            <source>Offence cases</source>
            <translation>OWi-Fälle</translation>
        </message>
        <message>
            <source>Bodycam recordings</source>
            <translation>Bodycam-Aufnahmen</translation>
        </message>
        <message>
            <source>Made %1 by %2.</source>
            <translation>Erstellt am %1 von %2.</translation>
        </message>
        <message>
            <source>Place, date</source>
            <translation>Ort, Datum</translation>
        </message>
        <message>
            <source>Shift lead</source>
            <translation>Schichtleitung</translation>
        </message>
    </context>
    <context>
        <name>incident_status</name>
        <message>
            <source>New</source>
            <translation>Neu</translation>
        </message>
        <message>
            <source>Dispatched</source>
            <translation>Alarmiert</translation>
        </message>
        <message>
            <source>On scene</source>
            <translation>Am Einsatzort</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Abgeschlossen</translation>
        </message>
    </context>
    <context>
        <name>incidents</name>
        <message>
            <source>Latitude and longitude belong together.</source>
            <translation>Breiten- und Längengrad müssen zusammen angegeben werden.</translation>
        </message>
        <message>
            <source>The coordinates are not valid.</source>
            <translation>Die Koordinaten sind ungültig.</translation>
        </message>
        <message>
            <source>Unknown category '%1'.</source>
            <translation>Unbekannte Kategorie „%1“.</translation>
        </message>
        <message>
            <source>The priority must be 1, 2 or 3.</source>
            <translation>Die Priorität muss 1, 2 oder 3 sein.</translation>
        </message>
        <message>
            <source>The description is too long (at most %1 characters).</source>
            <translation>Die Beschreibung ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>The address is too long.</source>
            <translation>Die Adresse ist zu lang.</translation>
        </message>
        <message>
            <source>The caller details are too long.</source>
            <translation>Die Angaben zur meldenden Person sind zu lang.</translation>
        </message>
        <message>
            <source>Enter an address or a position for the incident.</source>
            <translation>Geben Sie eine Adresse oder eine Position für den Einsatz an.</translation>
        </message>
        <message>
            <source>The note is empty.</source>
            <translation>Der Vermerk ist leer.</translation>
        </message>
        <message>
            <source>The note is too long.</source>
            <translation>Der Vermerk ist zu lang.</translation>
        </message>
        <message>
            <source>The client reference is not valid.</source>
            <translation>Die Client-Referenz ist ungültig.</translation>
        </message>
        <message>
            <source>Incident %1 does not exist.</source>
            <translation>Einsatz %1 existiert nicht.</translation>
        </message>
        <message>
            <source>Incident opened: %1, priority %2, %3</source>
            <translation>Einsatz angelegt: %1, Priorität %2, %3</translation>
        </message>
        <message>
            <source>These fields cannot be changed: %1</source>
            <translation>Diese Felder können nicht geändert werden: %1</translation>
        </message>
        <message>
            <source>%1: %2 → %3</source>
            <translation>%1: %2 → %3</translation>
        </message>
        <message>
            <source>Position changed</source>
            <translation>Position geändert</translation>
        </message>
        <message>
            <source>A released unit gets status 1 or 2.</source>
            <translation>Eine aus dem Einsatz entlassene Einheit erhält Status 1 oder 2.</translation>
        </message>
        <message>
            <source>Choose an outcome to close the incident.</source>
            <translation>Wählen Sie ein Einsatzergebnis, um den Einsatz abzuschließen.</translation>
        </message>
        <message>
            <source>Incident %1 is already closed.</source>
            <translation>Einsatz %1 ist bereits abgeschlossen.</translation>
        </message>
        <message>
            <source>Closed: %1</source>
            <translation>Abgeschlossen: %1</translation>
        </message>
        <message>
            <source>Give a reason for reopening.</source>
            <translation>Geben Sie einen Grund für die Wiedereröffnung an.</translation>
        </message>
        <message>
            <source>Incident %1 is not closed.</source>
            <translation>Einsatz %1 ist nicht abgeschlossen.</translation>
        </message>
        <message>
            <source>Reopened (was: %1). Reason: %2</source>
            <translation>Wiedereröffnet (bisher: %1). Grund: %2</translation>
        </message>
        <message>
            <source>Unit %1 does not exist.</source>
            <translation>Einheit %1 existiert nicht.</translation>
        </message>
        <message>
            <source>%1 confirmed the alarm (status 3).</source>
            <translation>%1 hat die Alarmierung bestätigt (Status 3).</translation>
        </message>
        <message>
            <source>%1 on scene (status 4).</source>
            <translation>%1 am Einsatzort (Status 4).</translation>
        </message>
        <message>
            <source>%1 released (status %2).</source>
            <translation>%1 aus dem Einsatz entlassen (Status %2).</translation>
        </message>
        <message>
            <source>%1: EMERGENCY (Notruf) raised.</source>
            <translation>%1: NOTRUF ausgelöst.</translation>
        </message>
        <message>
            <source>%1: status %2 → %3</source>
            <translation>%1: Status %2 → %3</translation>
        </message>
        <message>
            <source>Incident %1 is closed. Reopen it first.</source>
            <translation>Einsatz %1 ist abgeschlossen. Eröffnen Sie ihn zuerst wieder.</translation>
        </message>
        <message>
            <source>%1 is already assigned to this incident.</source>
            <translation>%1 ist diesem Einsatz bereits zugeteilt.</translation>
        </message>
        <message>
            <source>%1 alarmed (status %2, not yet confirmed).</source>
            <translation>%1 alarmiert (Status %2, noch nicht bestätigt).</translation>
        </message>
        <message>
            <source>%1 is committed to incident %2.</source>
            <translation>%1 ist im Einsatz %2 gebunden.</translation>
        </message>
        <message>
            <source>%1 has status %2.</source>
            <translation>%1 hat Status %2.</translation>
        </message>
        <message>
            <source>%1 It cannot be assigned.</source>
            <translation>%1 Die Einheit kann nicht zugeteilt werden.</translation>
        </message>
        <message>
            <source>%1 Assign it anyway?</source>
            <translation>%1 Trotzdem zuteilen?</translation>
        </message>
        <message>
            <source>%1 withdrawn and sent to incident %2.</source>
            <translation>%1 abgezogen und zu Einsatz %2 entsandt.</translation>
        </message>
        <message>
            <source>%1 is not assigned to incident %2.</source>
            <translation>%1 ist dem Einsatz %2 nicht zugeteilt.</translation>
        </message>
        <message>
            <source>The status of %1 has changed since (now %2): nothing was undone.</source>
            <translation>Der Status von %1 hat sich inzwischen geändert (jetzt %2): nichts zurückgenommen.</translation>
        </message>
        <message>
            <source>Undone: %1 → %2</source>
            <translation>Zurückgenommen: %1 → %2</translation>
        </message>
        <message>
            <source>%1: status change %2 → %3 undone, status %2 again.</source>
            <translation>%1: Statusänderung %2 → %3 zurückgenommen, wieder Status %2.</translation>
        </message>
        <message>
            <source>Back on this incident.</source>
            <translation>Wieder in diesem Einsatz.</translation>
        </message>
        <message>
            <source>%1 assigned (status 3).</source>
            <translation>%1 zugeteilt (Status 3).</translation>
        </message>
    </context>
    <context>
        <name>map</name>
        <message>
            <source>The tile address must be text.</source>
            <translation>Die Kachel-Adresse muss ein Text sein.</translation>
        </message>
        <message>
            <source>The tile address is longer than %1 characters.</source>
            <translation>Die Kachel-Adresse ist länger als %1 Zeichen.</translation>
        </message>
        <message>
            <source>The tile address must not contain spaces.</source>
            <translation>Die Kachel-Adresse darf keine Leerzeichen enthalten.</translation>
        </message>
        <message>
            <source>The tile address contains unknown placeholders: %1 (allowed: {z}, {x}, {y}, {s}, {r}).</source>
            <translation>Die Kachel-Adresse enthält unbekannte Platzhalter: %1 (erlaubt: {z}, {x}, {y}, {s}, {r}).</translation>
        </message>
        <message>
            <source>The tile address needs the placeholders {z}, {x} and {y}, e.g. https://tiles.example.org/{z}/{x}/{y}.png.</source>
            <translation>Die Kachel-Adresse braucht die Platzhalter {z}, {x} und {y}, z. B. https://tiles.example.org/{z}/{x}/{y}.png.</translation>
        </message>
        <message>
            <source>The tile address must start with http:// or https:// and name a server, e.g. https://tiles.example.org/{z}/{x}/{y}.png.</source>
            <translation>Die Kachel-Adresse muss mit http:// oder https:// beginnen und einen Server nennen, z. B. https://tiles.example.org/{z}/{x}/{y}.png.</translation>
        </message>
        <message>
            <source>Only {s} may stand in the server name of the tile address.</source>
            <translation>Im Servernamen der Kachel-Adresse darf nur {s} als Platzhalter stehen.</translation>
        </message>
        <message>
            <source>The file %1 does not exist.</source>
            <translation>Die Datei %1 existiert nicht.</translation>
        </message>
        <message>
            <source>%1 is not an MBTiles file (MBTiles files are SQLite databases).</source>
            <translation>%1 ist keine MBTiles-Datei (MBTiles-Dateien sind SQLite-Datenbanken).</translation>
        </message>
        <message>
            <source>%1 cannot be read as MBTiles: %2</source>
            <translation>%1 kann nicht als MBTiles gelesen werden: %2</translation>
        </message>
        <message>
            <source>%1 is not an MBTiles file: the table %2 is missing.</source>
            <translation>%1 ist keine MBTiles-Datei: Die Tabelle %2 fehlt.</translation>
        </message>
        <message>
            <source>%1 contains no tiles.</source>
            <translation>%1 enthält keine Kacheln.</translation>
        </message>
        <message>
            <source>%1 holds tiles in the format '%2'; the map shows only PNG, JPEG or WebP raster tiles.</source>
            <translation>%1 enthält Kacheln im Format „%2“; die Karte zeigt nur PNG-, JPEG- oder WebP-Rasterkacheln.</translation>
        </message>
        <message>
            <source>%1 holds tiles that are no PNG, JPEG or WebP images.</source>
            <translation>%1 enthält Kacheln, die keine PNG-, JPEG- oder WebP-Bilder sind.</translation>
        </message>
        <message>
            <source>%1 has impossible bounds '%2' (expected west,south,east,north in degrees).</source>
            <translation>%1 hat unmögliche Grenzen „%2“ (erwartet: West,Süd,Ost,Nord in Grad).</translation>
        </message>
        <message>
            <source>The tile file cannot be copied to %1: %2</source>
            <translation>Die Kacheldatei kann nicht nach %1 kopiert werden: %2</translation>
        </message>
    </context>
    <context>
        <name>offence_documents</name>
        <message>
            <source>born %1</source>
            <translation>geb. %1</translation>
        </message>
        <message>
            <source>intentional</source>
            <translation>vorsätzlich</translation>
        </message>
        <message>
            <source>negligent</source>
            <translation>fahrlässig</translation>
        </message>
        <message>
            <source>File number</source>
            <translation>Aktenzeichen</translation>
        </message>
        <message>
            <source>Time of the act</source>
            <translation>Tatzeit</translation>
        </message>
        <message>
            <source>Place of the act</source>
            <translation>Tatort</translation>
        </message>
        <message>
            <source>Offence</source>
            <translation>Tatbestand</translation>
        </message>
        <message>
            <source>Catalogue number</source>
            <translation>Tatbestandsnummer</translation>
        </message>
        <message>
            <source>Legal basis</source>
            <translation>Rechtsgrundlage</translation>
        </message>
        <message>
            <source>Description of the act</source>
            <translation>Tathandlung</translation>
        </message>
        <message>
            <source>Culpability</source>
            <translation>Schuldform</translation>
        </message>
        <message>
            <source>to be set by the Bußgeldstelle</source>
            <translation>festzusetzen durch die Bußgeldstelle</translation>
        </message>
        <message>
            <source>without a fee</source>
            <translation>ohne Verwarnungsgeld</translation>
        </message>
        <message>
            <source>Certificate of caution</source>
            <translation>Verwarnung – Bescheinigung</translation>
        </message>
        <message>
            <source>Certificate-%1</source>
            <translation>Bescheinigung-%1</translation>
        </message>
        <message>
            <source>Certificate of a caution (§ 56 OWiG)</source>
            <translation>Bescheinigung über eine Verwarnung (§ 56 OWiG)</translation>
        </message>
        <message>
            <source>Person concerned</source>
            <translation>Betroffene Person</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Anschrift</translation>
        </message>
        <message>
            <source>paid at once</source>
            <translation>sofort bezahlt</translation>
        </message>
        <message>
            <source>paid</source>
            <translation>bezahlt</translation>
        </message>
        <message>
            <source>to be paid by %1</source>
            <translation>zu zahlen bis %1</translation>
        </message>
        <message>
            <source>Caution fee</source>
            <translation>Verwarnungsgeld</translation>
        </message>
        <message>
            <source>Payment</source>
            <translation>Zahlung</translation>
        </message>
        <message>
            <source>Officer</source>
            <translation>Dienstkraft</translation>
        </message>
        <message>
            <source>The person concerned was told of their right to refuse the caution and agreed to it (§ 56 Abs. 2 OWiG).</source>
            <translation>Die betroffene Person wurde über ihr Weigerungsrecht belehrt und war mit der Verwarnung einverstanden (§ 56 Abs. 2 OWiG).</translation>
        </message>
        <message>
            <source>The caution only takes effect if the caution fee of %1 is paid by %2 (§ 56 Abs. 2 OWiG), quoting the file number %3.</source>
            <translation>Die Verwarnung wird nur wirksam, wenn das Verwarnungsgeld von %1 bis zum %2 unter Angabe des Aktenzeichens %3 gezahlt wird (§ 56 Abs. 2 OWiG).</translation>
        </message>
        <message>
            <source>No costs (fees and expenses) are charged (§ 56 Abs. 3 Satz 2 OWiG). Once the caution is effective, the act can no longer be prosecuted on the factual and legal grounds on which the caution was given (§ 56 Abs. 4 OWiG).</source>
            <translation>Kosten (Gebühren und Auslagen) werden nicht erhoben (§ 56 Abs. 3 Satz 2 OWiG). Ist die Verwarnung wirksam, kann die Tat nicht mehr unter den tatsächlichen und rechtlichen Gesichtspunkten verfolgt werden, unter denen die Verwarnung erteilt worden ist (§ 56 Abs. 4 OWiG).</translation>
        </message>
        <message>
            <source>Place, date</source>
            <translation>Ort, Datum</translation>
        </message>
        <message>
            <source>Signature of the officer</source>
            <translation>Unterschrift der Dienstkraft</translation>
        </message>
        <message>
            <source>Hearing form</source>
            <translation>Anhörungsbogen</translation>
        </message>
        <message>
            <source>Hearing-%1</source>
            <translation>Anhoerungsbogen-%1</translation>
        </message>
        <message>
            <source>Hearing in proceedings for an administrative offence (§ 55 OWiG)</source>
            <translation>Anhörung im Bußgeldverfahren (§ 55 OWiG)</translation>
        </message>
        <message>
            <source>You are accused of having committed the following administrative offence:</source>
            <translation>Ihnen wird vorgeworfen, folgende Ordnungswidrigkeit begangen zu haben:</translation>
        </message>
        <message>
            <source>You have the opportunity to comment on the accusation (§ 55 Abs. 1 OWiG). You are free to comment on it or to say nothing about the matter (§ 55 Abs. 2 OWiG with § 136 Abs. 1 Satz 2 StPO). You must, however, give your personal details (name, date of birth, address) correctly (§ 111 OWiG).</source>
            <translation>Sie haben Gelegenheit, sich zu dem Vorwurf zu äußern (§ 55 Abs. 1 OWiG). Es steht Ihnen frei, sich zu äußern oder nicht zur Sache auszusagen (§ 55 Abs. 2 OWiG i. V. m. § 136 Abs. 1 Satz 2 StPO). Ihre Angaben zur Person (Name, Geburtsdatum, Anschrift) müssen Sie jedoch vollständig und richtig machen (§ 111 OWiG).</translation>
        </message>
        <message>
            <source>Please return this form by %1, quoting the file number %2. If we have not heard from you by then, the proceedings continue without your comment.</source>
            <translation>Bitte senden Sie diesen Bogen bis zum %1 unter Angabe des Aktenzeichens %2 zurück. Liegt bis dahin keine Äußerung vor, wird das Verfahren ohne Ihre Äußerung fortgesetzt.</translation>
        </message>
        <message>
            <source>Your personal details (please correct if wrong)</source>
            <translation>Angaben zur Person (bitte berichtigen, falls unrichtig)</translation>
        </message>
        <message>
            <source>Surname</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>First name</source>
            <translation>Vorname</translation>
        </message>
        <message>
            <source>Date of birth</source>
            <translation>Geburtsdatum</translation>
        </message>
        <message>
            <source>Your statement</source>
            <translation>Ihre Äußerung</translation>
        </message>
        <message>
            <source>I admit the offence.</source>
            <translation>Ich räume den Verstoß ein.</translation>
        </message>
        <message>
            <source>I do not admit the offence, for these reasons:</source>
            <translation>Ich bestreite den Verstoß aus folgenden Gründen:</translation>
        </message>
        <message>
            <source>I do not wish to comment on the matter.</source>
            <translation>Ich möchte mich zur Sache nicht äußern.</translation>
        </message>
        <message>
            <source>Signature</source>
            <translation>Unterschrift</translation>
        </message>
        <message>
            <source>Offence report</source>
            <translation>Anzeige</translation>
        </message>
        <message>
            <source>Report-%1</source>
            <translation>Anzeige-%1</translation>
        </message>
        <message>
            <source>Report of an administrative offence</source>
            <translation>Anzeige einer Ordnungswidrigkeit</translation>
        </message>
        <message>
            <source>To</source>
            <translation>An</translation>
        </message>
        <message>
            <source>Bußgeldstelle</source>
            <translation>Bußgeldstelle</translation>
        </message>
        <message>
            <source>From</source>
            <translation>Von</translation>
        </message>
        <message>
            <source>The act</source>
            <translation>Tat</translation>
        </message>
        <message>
            <source>Coordinates</source>
            <translation>Koordinaten</translation>
        </message>
        <message>
            <source>Proceedings</source>
            <translation>Verfahren</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Catalogue entry</source>
            <translation>Katalogeintrag</translation>
        </message>
        <message>
            <source>%1, revision %2</source>
            <translation>%1, Fassung %2</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Betrag</translation>
        </message>
        <message>
            <source>Hearing notice sent</source>
            <translation>Anhörung versandt</translation>
        </message>
        <message>
            <source>Limitation</source>
            <translation>Verjährung</translation>
        </message>
        <message>
            <source>%1 – %2</source>
            <translation>%1 – %2</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>Einsatz</translation>
        </message>
        <message>
            <source>History</source>
            <translation>Verlauf</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>User</source>
            <translation>Benutzer</translation>
        </message>
        <message>
            <source>Step</source>
            <translation>Schritt</translation>
        </message>
        <message>
            <source>Clerk</source>
            <translation>Sachbearbeitung</translation>
        </message>
    </context>
    <context>
        <name>offence_status</name>
        <message>
            <source>Recorded</source>
            <translation>Erfasst</translation>
        </message>
        <message>
            <source>Checked</source>
            <translation>Geprüft</translation>
        </message>
        <message>
            <source>Caution given, payment open</source>
            <translation>Verwarnung erteilt, Zahlung offen</translation>
        </message>
        <message>
            <source>Caution paid</source>
            <translation>Verwarnungsgeld bezahlt</translation>
        </message>
        <message>
            <source>Hearing notice sent</source>
            <translation>Anhörung versandt</translation>
        </message>
        <message>
            <source>Handed over to the Bußgeldstelle</source>
            <translation>An Bußgeldstelle abgegeben</translation>
        </message>
        <message>
            <source>Discontinued</source>
            <translation>Eingestellt</translation>
        </message>
    </context>
    <context>
        <name>offences</name>
        <message>
            <source>A case that is „%1“ cannot become „%2“.</source>
            <translation>Ein Fall im Stand „%1“ kann nicht „%2“ werden.</translation>
        </message>
        <message>
            <source>%1 is missing.</source>
            <translation>%1 fehlt.</translation>
        </message>
        <message>
            <source>%1 is too long (at most %2 characters).</source>
            <translation>%1 ist zu lang (höchstens %2 Zeichen).</translation>
        </message>
        <message>
            <source>The surname</source>
            <translation>Der Nachname</translation>
        </message>
        <message>
            <source>The first name</source>
            <translation>Der Vorname</translation>
        </message>
        <message>
            <source>The address</source>
            <translation>Die Anschrift</translation>
        </message>
        <message>
            <source>The date of birth is not plausible.</source>
            <translation>Das Geburtsdatum ist nicht plausibel.</translation>
        </message>
        <message>
            <source>The person was %1 at the time of the act: under 14 nobody acts reprehensibly (§ 12 Abs. 1 OWiG). No offence case.</source>
            <translation>Die Person war zur Tatzeit %1 Jahre alt: wer unter 14 ist, handelt nicht vorwerfbar (§ 12 Abs. 1 OWiG). Kein OWi-Verfahren.</translation>
        </message>
        <message>
            <source>The description of the act</source>
            <translation>Die Tatbeschreibung</translation>
        </message>
        <message>
            <source>The place of the act</source>
            <translation>Der Tatort</translation>
        </message>
        <message>
            <source>A Verwarnungsgeld is 5 to 55 euros, or the caution is given without a fee (§ 56 Abs. 1 OWiG). Above that the case goes to the Bußgeldstelle.</source>
            <translation>Ein Verwarnungsgeld beträgt 5 bis 55 Euro, oder die Verwarnung ergeht ohne Verwarnungsgeld (§ 56 Abs. 1 OWiG). Darüber geht der Fall an die Bußgeldstelle.</translation>
        </message>
        <message>
            <source>A Verwarnung is valid only if the person agrees after being told that they may refuse (§ 56 Abs. 2 OWiG). Without consent: Anhörung and Bußgeldverfahren.</source>
            <translation>Eine Verwarnung ist nur wirksam, wenn der Betroffene nach Belehrung über sein Weigerungsrecht einverstanden ist (§ 56 Abs. 2 OWiG). Ohne Einverständnis: Anhörung und Bußgeldverfahren.</translation>
        </message>
        <message>
            <source>The payment period must end between the day of the caution and four weeks after it (usually one week, § 56 Abs. 2 OWiG).</source>
            <translation>Die Zahlungsfrist muss zwischen dem Tag der Verwarnung und vier Wochen danach enden (in der Regel eine Woche, § 56 Abs. 2 OWiG).</translation>
        </message>
        <message>
            <source>§ 31 Abs. 2 Nr. 4 OWiG (statutory maximum unknown: shortest period)</source>
            <translation>§ 31 Abs. 2 Nr. 4 OWiG (Höchstmaß unbekannt: kürzeste Frist angenommen)</translation>
        </message>
        <message>
            <source>§ 31 Abs. 2 Nr. %1 OWiG (maximum %2 €)</source>
            <translation>§ 31 Abs. 2 Nr. %1 OWiG (Höchstmaß %2 €)</translation>
        </message>
        <message>
            <source>, halved for negligence (§ 17 Abs. 2 OWiG)</source>
            <translation>, bei Fahrlässigkeit halbiert (§ 17 Abs. 2 OWiG)</translation>
        </message>
        <message>
            <source>§ 26 Abs. 3 StVG (6 months after the Bußgeldbescheid)</source>
            <translation>§ 26 Abs. 3 StVG (6 Monate nach dem Bußgeldbescheid)</translation>
        </message>
        <message>
            <source>§ 26 Abs. 3 StVG (3 months)</source>
            <translation>§ 26 Abs. 3 StVG (3 Monate)</translation>
        </message>
        <message>
            <source>; absolute limit reached (§ 33 Abs. 3 S. 2 OWiG)</source>
            <translation>; absolute Verjährung erreicht (§ 33 Abs. 3 S. 2 OWiG)</translation>
        </message>
        <message>
            <source>Case %1 has no catalogue entry.</source>
            <translation>Fall %1 hat keinen Katalogeintrag.</translation>
        </message>
        <message>
            <source>Offence case %1 does not exist.</source>
            <translation>OWi-Fall %1 gibt es nicht.</translation>
        </message>
        <message>
            <source>The time of the act lies in the future.</source>
            <translation>Die Tatzeit liegt in der Zukunft.</translation>
        </message>
        <message>
            <source>Choose a current catalogue entry for the offence.</source>
            <translation>Bitte einen aktuellen Katalogeintrag für den Tatbestand wählen.</translation>
        </message>
        <message>
            <source>The act became time-barred at the end of %1 (%2): no case can be opened.</source>
            <translation>Die Tat ist mit Ablauf des %1 verjährt (%2): es kann kein Fall angelegt werden.</translation>
        </message>
        <message>
            <source>due %1</source>
            <translation>fällig am %1</translation>
        </message>
        <message>
            <source>The hearing notice cannot be dated before the act or in the future.</source>
            <translation>Die Anhörung kann nicht vor der Tat oder in der Zukunft datiert sein.</translation>
        </message>
        <message>
            <source>Give the reason for discontinuing.</source>
            <translation>Bitte den Grund der Einstellung angeben.</translation>
        </message>
        <message>
            <source>without a fee</source>
            <translation>ohne Verwarnungsgeld</translation>
        </message>
        <message>
            <source>The statement</source>
            <translation>Die Aussage</translation>
        </message>
        <message>
            <source>The personal data of this case has been removed.</source>
            <translation>Die Personendaten dieses Falls sind gelöscht.</translation>
        </message>
        <message>
            <source>The note</source>
            <translation>Die Notiz</translation>
        </message>
        <message>
            <source>The recording no. %1 is already evidence of this case.</source>
            <translation>Die Aufnahme Nr. %1 ist bereits Beweismittel dieses Falls.</translation>
        </message>
        <message>
            <source>Bodycam recording no. %1</source>
            <translation>Bodycam-Aufnahme Nr. %1</translation>
        </message>
        <message>
            <source>Evidence in the offence case %1</source>
            <translation>Beweismittel im OWi-Verfahren %1</translation>
        </message>
    </context>
    <context>
        <name>open311</name>
        <message>
            <source>The entry is not an object.</source>
            <translation>Der Eintrag ist kein Objekt.</translation>
        </message>
        <message>
            <source>The entry has no valid service_request_id.</source>
            <translation>Der Eintrag hat keine gültige service_request_id.</translation>
        </message>
        <message>
            <source>Request %1 has an invalid date.</source>
            <translation>Anliegen %1 hat ein ungültiges Datum.</translation>
        </message>
        <message>
            <source>Request %1 has invalid fields.</source>
            <translation>Anliegen %1 hat ungültige Felder.</translation>
        </message>
        <message>
            <source>The platform's answer is not valid XML.</source>
            <translation>Die Antwort der Plattform ist kein gültiges XML.</translation>
        </message>
        <message>
            <source>The platform's answer is not a list of requests.</source>
            <translation>Die Antwort der Plattform ist keine Liste von Anliegen.</translation>
        </message>
        <message>
            <source>The platform's answer is not valid JSON.</source>
            <translation>Die Antwort der Plattform ist kein gültiges JSON.</translation>
        </message>
        <message>
            <source>The Open311 platform reports errors: %1</source>
            <translation>Die Open311-Plattform meldet Fehler: %1</translation>
        </message>
        <message>
            <source>The Open311 address must start with http:// or https://.</source>
            <translation>Die Open311-Adresse muss mit http:// oder https:// beginnen.</translation>
        </message>
        <message>
            <source>The status path must be relative to the base URL and contain {id}, e.g. requests/{id}.json.</source>
            <translation>Der Statuspfad muss relativ zur Basisadresse sein und {id} enthalten, z. B. requests/{id}.json.</translation>
        </message>
        <message>
            <source>open311.category_map must be a JSON object {"code": "category"}.</source>
            <translation>open311.category_map muss ein JSON-Objekt {"Code": "Kategorie"} sein.</translation>
        </message>
        <message>
            <source>Unknown categories in open311.category_map: %1</source>
            <translation>Unbekannte Kategorien in open311.category_map: %1</translation>
        </message>
        <message>
            <source>Citizen report</source>
            <translation>Bürgermeldung</translation>
        </message>
        <message>
            <source>Open311 entry skipped: %1</source>
            <translation>Open311-Eintrag übersprungen: %1</translation>
        </message>
        <message>
            <source>Citizen report %1 was closed on the Open311 platform: %2</source>
            <translation>Bürgermeldung %1 wurde auf der Open311-Plattform erledigt: %2</translation>
        </message>
        <message>
            <source>Open311 request %1 was closed on the platform; Meldung %2 is still open.</source>
            <translation>Open311-Anliegen %1 wurde auf der Plattform erledigt; Meldung %2 ist noch offen.</translation>
        </message>
        <message>
            <source>Photo of Open311 request %1 left out: %2</source>
            <translation>Foto des Open311-Anliegens %1 ausgelassen: %2</translation>
        </message>
        <message>
            <source>Request %1: %2</source>
            <translation>Anliegen %1: %2</translation>
        </message>
        <message>
            <source>Done by the Kommunaler Ordnungsdienst (Meldung %1).</source>
            <translation>Erledigt durch den Kommunalen Ordnungsdienst (Meldung %1).</translation>
        </message>
        <message>
            <source>Taken up by the Kommunaler Ordnungsdienst (Meldung %1), in progress.</source>
            <translation>Vom Kommunalen Ordnungsdienst übernommen (Meldung %1), in Bearbeitung.</translation>
        </message>
        <message>
            <source>Status of Open311 request %1 not sent (try %2 of %3): %4</source>
            <translation>Status des Open311-Anliegens %1 nicht gesendet (Versuch %2 von %3): %4</translation>
        </message>
        <message>
            <source>The Open311 platform answered %1 (%2).</source>
            <translation>Die Open311-Plattform antwortete mit %1 (%2).</translation>
        </message>
        <message>
            <source>The answer of %1 is too large.</source>
            <translation>Die Antwort von %1 ist zu groß.</translation>
        </message>
        <message>
            <source>The Open311 platform cannot be reached: %1</source>
            <translation>Die Open311-Plattform ist nicht erreichbar: %1</translation>
        </message>
        <message>
            <source>%1 is not a photo (%2).</source>
            <translation>%1 ist kein Foto (%2).</translation>
        </message>
        <message>
            <source>%1 is not a web address.</source>
            <translation>%1 ist keine Web-Adresse.</translation>
        </message>
        <message>
            <source>%1 points to an internal address: only photos on the platform itself or on public addresses are fetched.</source>
            <translation>%1 verweist auf eine interne Adresse: Fotos werden nur von der Plattform selbst oder von öffentlichen Adressen geholt.</translation>
        </message>
        <message>
            <source>Open311 intake is off (open311.base_url is empty).</source>
            <translation>Open311-Übernahme ist aus (open311.base_url ist leer).</translation>
        </message>
        <message>
            <source>Open311: %1 new Meldungen, %2 changed on the platform, %3 statuses reported back.</source>
            <translation>Open311: %1 neue Meldungen, %2 auf der Plattform geändert, %3 Status zurückgemeldet.</translation>
        </message>
        <message>
            <source>Open311 poll failed (%1 in a row), next try in %2 s: %3</source>
            <translation>Open311-Abruf fehlgeschlagen (%1-mal in Folge), nächster Versuch in %2 s: %3</translation>
        </message>
        <message>
            <source>Open311 intake not started: on PostgreSQL it needs its own login in %1 (a user with the dispatcher role).</source>
            <translation>Open311-Übernahme nicht gestartet: unter PostgreSQL braucht sie eine eigene Anmeldung in %1 (ein Benutzer mit der Rolle Disponent).</translation>
        </message>
        <message>
            <source>The Open311 intake stopped after an error.</source>
            <translation>Die Open311-Übernahme wurde nach einem Fehler beendet.</translation>
        </message>
    </context>
    <context>
        <name>outbox</name>
        <message>
            <source>New incident %1: %2, %3</source>
            <translation>Neuer Einsatz %1: %2, %3</translation>
        </message>
        <message>
            <source>Note on %1: %2</source>
            <translation>Vermerk zu %1: %2</translation>
        </message>
        <message>
            <source>Recorded without a database connection at %1; stored on this workstation and transferred automatically when the connection is back.</source>
            <translation>Um %1 ohne Datenbankverbindung erfasst; an diesem Arbeitsplatz gespeichert und automatisch übertragen, sobald die Verbindung wieder besteht.</translation>
        </message>
        <message>
            <source>unexpected error (%1)</source>
            <translation>unerwarteter Fehler (%1)</translation>
        </message>
        <message>
            <source>Unknown operation '%1' in the outbox.</source>
            <translation>Unbekannter Vorgang „%1“ im Offline-Ausgang.</translation>
        </message>
        <message>
            <source>Incident %1 (recorded offline as %2) may be a duplicate of %3, which another workstation opened at %4 with the same category and address. Both were kept: please check and close one of them.</source>
            <translation>Einsatz %1 (offline erfasst als %2) ist möglicherweise eine Doppelmeldung zu %3, den ein anderer Arbeitsplatz um %4 mit derselben Kategorie und Adresse angelegt hat. Beide wurden behalten: Bitte prüfen Sie das und schließen Sie einen der beiden ab.</translation>
        </message>
        <message>
            <source>The offline incident this note belongs to could not be transferred.</source>
            <translation>Der offline erfasste Einsatz, zu dem dieser Vermerk gehört, konnte nicht übertragen werden.</translation>
        </message>
        <message>
            <source>Your note written offline at %1 was added to incident %2, which was closed in the meantime (%3). Reopen it if the note needs action.</source>
            <translation>Ihr um %1 offline geschriebener Vermerk wurde Einsatz %2 hinzugefügt, der inzwischen abgeschlossen wurde (%3). Eröffnen Sie ihn wieder, falls der Vermerk Maßnahmen erfordert.</translation>
        </message>
        <message>
            <source>An entry recorded offline could not be transferred: %1</source>
            <translation>Ein offline erfasster Eintrag konnte nicht übertragen werden: %1</translation>
        </message>
        <message>
            <source>The incident recorded offline as %1 (%2, %3) could not be transferred: %4</source>
            <translation>Der offline als %1 erfasste Einsatz (%2, %3) konnte nicht übertragen werden: %4</translation>
        </message>
        <message>
            <source>The note on %1 written offline at %2 could not be transferred: %3. Text: %4</source>
            <translation>Der um %2 offline geschriebene Vermerk zu %1 konnte nicht übertragen werden: %3. Text: %4</translation>
        </message>
        <message>
            <source>The database did not answer within %1 seconds.</source>
            <translation>Die Datenbank hat nicht innerhalb von %1 Sekunden geantwortet.</translation>
        </message>
        <message>
            <source>The offline incident no longer exists.</source>
            <translation>Der offline erfasste Einsatz existiert nicht mehr.</translation>
        </message>
        <message>
            <source>Incident %1 is only stored on this workstation until the database is reachable again. It can be changed once it has been transferred.</source>
            <translation>Einsatz %1 ist nur an diesem Arbeitsplatz gespeichert, bis die Datenbank wieder erreichbar ist. Er kann geändert werden, sobald er übertragen wurde.</translation>
        </message>
    </context>
    <context>
        <name>outcomes</name>
        <message>
            <source>Resolved on site</source>
            <translation>Vor Ort erledigt</translation>
        </message>
        <message>
            <source>Caution issued (§ 56 OWiG)</source>
            <translation>Verwarnung erteilt (§ 56 OWiG)</translation>
        </message>
        <message>
            <source>Offence report written</source>
            <translation>Ordnungswidrigkeitenanzeige gefertigt</translation>
        </message>
        <message>
            <source>Handed over to the police</source>
            <translation>An die Polizei übergeben</translation>
        </message>
        <message>
            <source>Nothing found</source>
            <translation>Nichts festgestellt</translation>
        </message>
        <message>
            <source>False alarm</source>
            <translation>Fehlalarm</translation>
        </message>
        <message>
            <source>Duplicate</source>
            <translation>Doppelmeldung</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Abgebrochen</translation>
        </message>
    </context>
    <context>
        <name>outlines</name>
        <message>
            <source>%1 is not a GeoJSON file (not UTF-8 text).</source>
            <translation>%1 ist keine GeoJSON-Datei (kein UTF-8-Text).</translation>
        </message>
        <message>
            <source>%1 is not valid GeoJSON (line %2: %3).</source>
            <translation>%1 ist kein gültiges GeoJSON (Zeile %2: %3).</translation>
        </message>
        <message>
            <source>%1 is no GeoJSON FeatureCollection with features.</source>
            <translation>%1 ist keine GeoJSON-FeatureCollection mit Features.</translation>
        </message>
        <message>
            <source>%1 declares a coordinate system without a name.</source>
            <translation>%1 gibt ein Koordinatensystem ohne Namen an.</translation>
        </message>
        <message>
            <source>%1 uses an unknown coordinate system: %2</source>
            <translation>%1 verwendet ein unbekanntes Koordinatensystem: %2</translation>
        </message>
        <message>
            <source>The features of %1 have no property '%2'. Present: %3</source>
            <translation>Die Features von %1 haben keine Eigenschaft „%2“. Vorhanden: %3</translation>
        </message>
        <message>
            <source>No property of %1 holds the Stadtteil names. Name it with --name-property (present: %2).</source>
            <translation>Keine Eigenschaft von %1 enthält die Stadtteilnamen. Geben Sie sie mit --name-property an (vorhanden: %2).</translation>
        </message>
        <message>
            <source>Feature %1 of %2 has no name in '%3'.</source>
            <translation>Feature %1 von %2 hat keinen Namen in „%3“.</translation>
        </message>
        <message>
            <source>The name of feature %1 is longer than %2 characters.</source>
            <translation>Der Name von Feature %1 ist länger als %2 Zeichen.</translation>
        </message>
        <message>
            <source>Feature %1 (%2) has the geometry '%3'; only Polygon and MultiPolygon are outlines.</source>
            <translation>Feature %1 (%2) hat die Geometrie „%3“; nur Polygon und MultiPolygon sind Flächen.</translation>
        </message>
        <message>
            <source>The geometry of feature %1 (%2) is malformed.</source>
            <translation>Die Geometrie von Feature %1 (%2) ist fehlerhaft.</translation>
        </message>
        <message>
            <source>The geometry of feature %1 (%2) is empty.</source>
            <translation>Die Geometrie von Feature %1 (%2) ist leer.</translation>
        </message>
        <message>
            <source>The coordinates of %1 are not in degrees (%2). Name the file's coordinate system with --crs, e.g. --crs EPSG:25832.</source>
            <translation>Die Koordinaten von %1 sind nicht in Grad (%2). Geben Sie das Koordinatensystem der Datei mit --crs an, z. B. --crs EPSG:25832.</translation>
        </message>
        <message>
            <source>The outline of %1 has no area.</source>
            <translation>Die Grenze von %1 umschließt keine Fläche.</translation>
        </message>
        <message>
            <source>The outlines of %1 lie outside %2 (%3). Is the coordinate system right?</source>
            <translation>Die Grenzen in %1 liegen außerhalb von %2 (%3). Stimmt das Koordinatensystem?</translation>
        </message>
        <message>
            <source>Not a known Stadtteil (imported anyway): %1</source>
            <translation>Kein bekannter Stadtteil (trotzdem eingelesen): %1</translation>
        </message>
        <message>
            <source>No outline in the file for: %1</source>
            <translation>Keine Grenze in der Datei für: %1</translation>
        </message>
        <message>
            <source>The file %1 does not exist.</source>
            <translation>Die Datei %1 existiert nicht.</translation>
        </message>
        <message>
            <source>%1 is larger than %2 MB.</source>
            <translation>%1 ist größer als %2 MB.</translation>
        </message>
        <message>
            <source>The file %1 cannot be read: %2</source>
            <translation>Die Datei %1 kann nicht gelesen werden: %2</translation>
        </message>
    </context>
    <context>
        <name>periods</name>
        <message>
            <source>January</source>
            <translation>Januar</translation>
        </message>
        <message>
            <source>February</source>
            <translation>Februar</translation>
        </message>
        <message>
            <source>March</source>
            <translation>März</translation>
        </message>
        <message>
            <source>April</source>
            <translation>April</translation>
        </message>
        <message>
            <source>May</source>
            <translation>Mai</translation>
        </message>
        <message>
            <source>June</source>
            <translation>Juni</translation>
        </message>
        <message>
            <source>July</source>
            <translation>Juli</translation>
        </message>
        <message>
            <source>August</source>
            <translation>August</translation>
        </message>
        <message>
            <source>September</source>
            <translation>September</translation>
        </message>
        <message>
            <source>October</source>
            <translation>Oktober</translation>
        </message>
        <message>
            <source>November</source>
            <translation>November</translation>
        </message>
        <message>
            <source>December</source>
            <translation>Dezember</translation>
        </message>
        <message>
            <source>Mon</source>
            <translation>Mo</translation>
        </message>
        <message>
            <source>Tue</source>
            <translation>Di</translation>
        </message>
        <message>
            <source>Wed</source>
            <translation>Mi</translation>
        </message>
        <message>
            <source>Thu</source>
            <translation>Do</translation>
        </message>
        <message>
            <source>Fri</source>
            <translation>Fr</translation>
        </message>
        <message>
            <source>Sat</source>
            <translation>Sa</translation>
        </message>
        <message>
            <source>Sun</source>
            <translation>So</translation>
        </message>
        <message>
            <source>Choose a year between 2000 and 2100.</source>
            <translation>Bitte ein Jahr zwischen 2000 und 2100 wählen.</translation>
        </message>
        <message>
            <source>Choose a month between 1 and 12.</source>
            <translation>Bitte einen Monat zwischen 1 und 12 wählen.</translation>
        </message>
    </context>
    <context>
        <name>permissions</name>
        <message>
            <source>view incidents</source>
            <translation>Einsätze ansehen</translation>
        </message>
        <message>
            <source>create or change incidents</source>
            <translation>Einsätze anlegen oder ändern</translation>
        </message>
        <message>
            <source>write journal notes</source>
            <translation>Vermerke ins Einsatztagebuch schreiben</translation>
        </message>
        <message>
            <source>view units</source>
            <translation>Einheiten ansehen</translation>
        </message>
        <message>
            <source>set unit status</source>
            <translation>den Status von Einheiten setzen</translation>
        </message>
        <message>
            <source>assign units</source>
            <translation>Einheiten zuteilen</translation>
        </message>
        <message>
            <source>manage units</source>
            <translation>Einheiten verwalten</translation>
        </message>
        <message>
            <source>raise an emergency</source>
            <translation>einen Notruf auslösen</translation>
        </message>
        <message>
            <source>acknowledge an emergency</source>
            <translation>einen Notruf quittieren</translation>
        </message>
        <message>
            <source>view tasks</source>
            <translation>Aufträge ansehen</translation>
        </message>
        <message>
            <source>create or change tasks</source>
            <translation>Aufträge anlegen oder ändern</translation>
        </message>
        <message>
            <source>view reports</source>
            <translation>Meldungen ansehen</translation>
        </message>
        <message>
            <source>create or change reports</source>
            <translation>Meldungen anlegen oder ändern</translation>
        </message>
        <message>
            <source>record new reports</source>
            <translation>neue Meldungen erfassen</translation>
        </message>
        <message>
            <source>import bodycam recordings</source>
            <translation>Bodycam-Aufnahmen importieren</translation>
        </message>
        <message>
            <source>view bodycam recordings</source>
            <translation>Bodycam-Aufnahmen ansehen</translation>
        </message>
        <message>
            <source>put a hold on recordings</source>
            <translation>Aufnahmen mit einer Löschsperre versehen</translation>
        </message>
        <message>
            <source>confirm setting or lifting a hold</source>
            <translation>Setzen oder Aufheben einer Sperre bestätigen</translation>
        </message>
        <message>
            <source>export recordings</source>
            <translation>Aufnahmen exportieren</translation>
        </message>
        <message>
            <source>delete held recordings</source>
            <translation>Aufnahmen mit Löschsperre löschen</translation>
        </message>
        <message>
            <source>view offence cases</source>
            <translation>Ordnungswidrigkeitenverfahren ansehen</translation>
        </message>
        <message>
            <source>process offence cases</source>
            <translation>Ordnungswidrigkeitenverfahren bearbeiten</translation>
        </message>
        <message>
            <source>manage offence catalogues</source>
            <translation>Tatbestandskataloge verwalten</translation>
        </message>
        <message>
            <source>manage the gazetteer</source>
            <translation>das Adressverzeichnis verwalten</translation>
        </message>
        <message>
            <source>print shift and incident reports</source>
            <translation>Schicht- und Einsatzberichte drucken</translation>
        </message>
        <message>
            <source>view statistics</source>
            <translation>Statistiken ansehen</translation>
        </message>
        <message>
            <source>read the audit log</source>
            <translation>das Audit-Protokoll lesen</translation>
        </message>
        <message>
            <source>verify the audit log</source>
            <translation>das Audit-Protokoll prüfen</translation>
        </message>
        <message>
            <source>delete audit records past their retention</source>
            <translation>abgelaufene Audit-Einträge löschen</translation>
        </message>
        <message>
            <source>manage user accounts</source>
            <translation>Benutzerkonten verwalten</translation>
        </message>
        <message>
            <source>change settings</source>
            <translation>Einstellungen ändern</translation>
        </message>
        <message>
            <source>register and revoke field devices</source>
            <translation>Geräte des Außendienstes registrieren und widerrufen</translation>
        </message>
    </context>
    <context>
        <name>priorities</name>
        <message>
            <source>1 – urgent</source>
            <translation>1 – dringend</translation>
        </message>
        <message>
            <source>2 – normal</source>
            <translation>2 – normal</translation>
        </message>
        <message>
            <source>3 – low</source>
            <translation>3 – niedrig</translation>
        </message>
    </context>
    <context>
        <name>readonly</name>
        <message>
            <source>Read only: your role (%1) may not %2.</source>
            <translation>Nur lesen: Ihre Rolle (%1) darf keine %2.</translation>
        </message>
    </context>
    <context>
        <name>report_origin</name>
        <message>
            <source>Field</source>
            <translation>Außendienst</translation>
        </message>
        <message>
            <source>Citizen</source>
            <translation>Bürger</translation>
        </message>
        <message>
            <source>Desk</source>
            <translation>Leitstelle</translation>
        </message>
    </context>
    <context>
        <name>report_platform</name>
        <message>
            <source>closed on the platform</source>
            <translation>auf der Plattform erledigt</translation>
        </message>
        <message>
            <source>reopened on the platform</source>
            <translation>auf der Plattform wieder geöffnet</translation>
        </message>
    </context>
    <context>
        <name>report_source</name>
        <message>
            <source>Phone</source>
            <translation>Telefon</translation>
        </message>
        <message>
            <source>E-mail</source>
            <translation>E-Mail</translation>
        </message>
        <message>
            <source>Online form</source>
            <translation>Online-Formular</translation>
        </message>
        <message>
            <source>Field report</source>
            <translation>Außendienst</translation>
        </message>
        <message>
            <source>Open311</source>
            <translation>Open311</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>Sonstiges</translation>
        </message>
    </context>
    <context>
        <name>report_status</name>
        <message>
            <source>New</source>
            <translation>Neu</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>In Bearbeitung</translation>
        </message>
        <message>
            <source>Converted</source>
            <translation>Überführt</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Abgeschlossen</translation>
        </message>
    </context>
    <context>
        <name>reports</name>
        <message>
            <source>Report %1 does not exist.</source>
            <translation>Meldung %1 existiert nicht.</translation>
        </message>
        <message>
            <source>Enter a subject for the report.</source>
            <translation>Geben Sie einen Betreff für die Meldung ein.</translation>
        </message>
        <message>
            <source>The subject is too long (at most %1 characters).</source>
            <translation>Der Betreff ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Unknown source of a report '%1'.</source>
            <translation>Unbekannter Meldungseingang „%1“.</translation>
        </message>
        <message>
            <source>The text is too long (at most %1 characters).</source>
            <translation>Der Text ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>This entry is too long (at most %1 characters).</source>
            <translation>Diese Angabe ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Unknown category '%1'.</source>
            <translation>Unbekannte Kategorie „%1“.</translation>
        </message>
        <message>
            <source>These fields cannot be changed: %1</source>
            <translation>Diese Felder können nicht geändert werden: %1</translation>
        </message>
        <message>
            <source>The date and time are not valid.</source>
            <translation>Datum und Uhrzeit sind ungültig.</translation>
        </message>
        <message>
            <source>This status cannot be set by hand.</source>
            <translation>Dieser Status kann nicht von Hand gesetzt werden.</translation>
        </message>
        <message>
            <source>Report %1 has already been converted; its status stays.</source>
            <translation>Meldung %1 wurde bereits in einen Einsatz oder Auftrag überführt; ihr Status bleibt unverändert.</translation>
        </message>
        <message>
            <source>Report %1 has already been converted.</source>
            <translation>Meldung %1 wurde bereits in einen Einsatz oder Auftrag überführt.</translation>
        </message>
        <message>
            <source>Contact: %1</source>
            <translation>Kontakt: %1</translation>
        </message>
        <message>
            <source>Opened from report %1 (received %2).</source>
            <translation>Aus Meldung %1 angelegt (Eingang %2).</translation>
        </message>
    </context>
    <context>
        <name>roles</name>
        <message>
            <source>Dispatcher</source>
            <translation>Disponent</translation>
        </message>
        <message>
            <source>Shift lead</source>
            <translation>Schichtleitung</translation>
        </message>
        <message>
            <source>Clerk</source>
            <translation>Sachbearbeitung</translation>
        </message>
        <message>
            <source>Field officer</source>
            <translation>Außendienst</translation>
        </message>
        <message>
            <source>Data protection</source>
            <translation>Datenschutz</translation>
        </message>
        <message>
            <source>Administration</source>
            <translation>Administration</translation>
        </message>
    </context>
    <context>
        <name>settings</name>
        <message>
            <source>%1 must be true or false.</source>
            <translation>%1 muss true oder false sein.</translation>
        </message>
        <message>
            <source>%1 must be a whole number ≥ 0.</source>
            <translation>%1 muss eine ganze Zahl ≥ 0 sein.</translation>
        </message>
        <message>
            <source>%1 must be at least %2.</source>
            <translation>%1 muss mindestens %2 sein.</translation>
        </message>
        <message>
            <source>%1 must be one of: %2</source>
            <translation>%1 muss einer dieser Werte sein: %2</translation>
        </message>
        <message>
            <source>Unknown setting '%1'. Known: %2</source>
            <translation>Unbekannte Einstellung „%1“. Bekannt sind: %2</translation>
        </message>
        <message>
            <source>%1 must be a text.</source>
            <translation>%1 muss ein Text sein.</translation>
        </message>
        <message>
            <source>%1 must not be empty.</source>
            <translation>%1 darf nicht leer sein.</translation>
        </message>
        <message>
            <source>%1: at most %2 characters on one line.</source>
            <translation>%1: höchstens %2 Zeichen in einer Zeile.</translation>
        </message>
        <message>
            <source>The logo must be a PNG, JPEG or SVG file (%1).</source>
            <translation>Das Logo muss eine PNG-, JPEG- oder SVG-Datei sein (%1).</translation>
        </message>
    </context>
    <context>
        <name>shift_report</name>
        <message>
            <source>unknown</source>
            <translation>unbekannt</translation>
        </message>
        <message>
            <source>none</source>
            <translation>keine</translation>
        </message>
        <message>
            <source>Shift report</source>
            <translation>Schichtbericht</translation>
        </message>
        <message>
            <source>Shift-report-%1</source>
            <translation>Schichtbericht-%1</translation>
        </message>
        <message>
            <source>Shift report %1</source>
            <translation>Schichtbericht %1</translation>
        </message>
        <message>
            <source>Made by</source>
            <translation>Erstellt von</translation>
        </message>
        <message>
            <source>Incidents</source>
            <translation>Einsätze</translation>
        </message>
        <message>
            <source>Emergencies (Notruf)</source>
            <translation>Notrufe</translation>
        </message>
        <message>
            <source>Assaults on staff</source>
            <translation>Angriffe auf Einsatzkräfte</translation>
        </message>
        <message>
            <source>Bodycam activations</source>
            <translation>Bodycam-Aktivierungen</translation>
        </message>
        <message>
            <source>Count</source>
            <translation>Anzahl</translation>
        </message>
        <message>
            <source>Incidents by category</source>
            <translation>Einsätze nach Kategorie</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Incidents by Stadtteil</source>
            <translation>Einsätze nach Stadtteil</translation>
        </message>
        <message>
            <source>Stadtteil</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Units on duty</source>
            <translation>Eingesetzte Streifen</translation>
        </message>
        <message>
            <source>Call sign</source>
            <translation>Funkrufname</translation>
        </message>
        <message>
            <source>Crew</source>
            <translation>Besatzung</translation>
        </message>
        <message>
            <source>No.</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Eingang</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Anschrift</translation>
        </message>
        <message>
            <source>Notable events (priority 1)</source>
            <translation>Besondere Vorkommnisse (Priorität 1)</translation>
        </message>
        <message>
            <source>Open incidents handed over</source>
            <translation>Offene Einsätze zur Übergabe</translation>
        </message>
        <message>
            <source>Raised</source>
            <translation>Ausgelöst</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Einheit</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>Quittiert</translation>
        </message>
        <message>
            <source>Open tasks handed over</source>
            <translation>Offene Aufträge zur Übergabe</translation>
        </message>
        <message>
            <source>Task</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Fällig</translation>
        </message>
        <message>
            <source>Anchor of the audit log</source>
            <translation>Anker des Audit-Protokolls</translation>
        </message>
        <message>
            <source>Newest audit record when this report was made: %1. Keep this page: kod-admin audit verify --expect-head %1 shows that no record up to it was changed.</source>
            <translation>Neuester Audit-Eintrag bei Erstellung dieses Berichts: %1. Dieses Blatt aufbewahren: kod-admin audit verify --expect-head %1 zeigt, dass kein Eintrag bis dahin verändert wurde.</translation>
        </message>
        <message>
            <source>Shift lead</source>
            <translation>Schichtleitung</translation>
        </message>
        <message>
            <source>Next shift</source>
            <translation>Folgeschicht</translation>
        </message>
    </context>
    <context>
        <name>shifts</name>
        <message>
            <source>Shift starts must be one to six times like 06:00, 14:00, 22:00.</source>
            <translation>Schichtbeginne müssen ein bis sechs Uhrzeiten wie 06:00, 14:00, 22:00 sein.</translation>
        </message>
        <message>
            <source>A shift start is given twice.</source>
            <translation>Ein Schichtbeginn ist doppelt angegeben.</translation>
        </message>
    </context>
    <context>
        <name>simulate</name>
        <message>
            <source>Move the units through the city and change their status (demo)</source>
            <translation>Einheiten durch die Stadt fahren lassen und ihren Status wechseln (Demo)</translation>
        </message>
        <message>
            <source>Report as this user (needs the permission to set unit status, e.g. disponent). PostgreSQL: the login; default the --user login.</source>
            <translation>Als dieser Benutzer melden (braucht das Recht, den Einheitenstatus zu setzen, z. B. disponent). PostgreSQL: die Anmeldung; Vorgabe ist die Anmeldung aus --user.</translation>
        </message>
        <message>
            <source>Read the password from standard input</source>
            <translation>Passwort von der Standardeingabe lesen</translation>
        </message>
        <message>
            <source>How many units (default: all active units)</source>
            <translation>Wie viele Einheiten (Vorgabe: alle aktiven Einheiten)</translation>
        </message>
        <message>
            <source>Seconds between position reports (default 1)</source>
            <translation>Sekunden zwischen zwei Positionsmeldungen (Vorgabe 1)</translation>
        </message>
        <message>
            <source>Stop after this many seconds (default: until Ctrl+C)</source>
            <translation>Nach so vielen Sekunden beenden (Vorgabe: bis Strg+C)</translation>
        </message>
        <message>
            <source>Units at the station go out on patrol at once</source>
            <translation>Einheiten auf Wache rücken sofort zur Streife aus</translation>
        </message>
        <message>
            <source>Random seed (repeatable runs)</source>
            <translation>Startwert des Zufalls (wiederholbare Läufe)</translation>
        </message>
        <message>
            <source>--units needs a number of at least 1.</source>
            <translation>--units braucht eine Zahl ab 1.</translation>
        </message>
        <message>
            <source>--interval must be between 0.1 and 3600 seconds.</source>
            <translation>--interval muss zwischen 0,1 und 3600 Sekunden liegen.</translation>
        </message>
        <message>
            <source>--duration must be more than 0 seconds.</source>
            <translation>--duration muss größer als 0 Sekunden sein.</translation>
        </message>
        <message>
            <source>Password of %1: </source>
            <translation>Passwort von %1: </translation>
        </message>
        <message>
            <source>Say in whose name the units report: --as NAME (e.g. --as disponent).</source>
            <translation>Bitte angeben, in wessen Namen die Einheiten melden: --as NAME (z. B. --as disponent).</translation>
        </message>
        <message>
            <source>Simulation of %1 units as %2 on %3 started (Ctrl+C ends it).</source>
            <translation>Simulation von %1 Einheiten als %2 auf %3 gestartet (Strg+C beendet sie).</translation>
        </message>
        <message>
            <source>%1  %2 s: %3 positions, %4 status changes so far; slowest write %5 ms</source>
            <translation>%1  %2 s: bisher %3 Positionen, %4 Statuswechsel; langsamstes Schreiben %5 ms</translation>
        </message>
        <message>
            <source>Simulation ended after %1 ticks: %2 positions, %3 status changes.</source>
            <translation>Simulation beendet nach %1 Takten: %2 Positionen, %3 Statuswechsel.</translation>
        </message>
    </context>
    <context>
        <name>statistics</name>
        <message>
            <source>unknown</source>
            <translation>unbekannt</translation>
        </message>
        <message>
            <source>Incidents</source>
            <translation>Einsätze</translation>
        </message>
        <message>
            <source>Key figures</source>
            <translation>Kennzahlen</translation>
        </message>
        <message>
            <source>Figure</source>
            <translation>Kennzahl</translation>
        </message>
        <message>
            <source>Value</source>
            <translation>Wert</translation>
        </message>
        <message>
            <source>Dispatched incidents</source>
            <translation>Alarmierte Einsätze</translation>
        </message>
        <message>
            <source>Dispatched later than the target</source>
            <translation>Später als die Zielzeit alarmiert</translation>
        </message>
        <message>
            <source>Share dispatched late</source>
            <translation>Anteil verspätet alarmiert</translation>
        </message>
        <message>
            <source>Joint patrols with the police</source>
            <translation>Gemeinsame Streifen mit der Polizei</translation>
        </message>
        <message>
            <source>Assaults on staff</source>
            <translation>Angriffe auf Einsatzkräfte</translation>
        </message>
        <message>
            <source>Bodycam activations</source>
            <translation>Bodycam-Aktivierungen</translation>
        </message>
        <message>
            <source>Bodycam holds</source>
            <translation>Bodycam-Sperrungen (Aufbewahrung)</translation>
        </message>
        <message>
            <source>Bodycam deletions</source>
            <translation>Bodycam-Löschungen</translation>
        </message>
        <message>
            <source>Response times</source>
            <translation>Reaktionszeiten</translation>
        </message>
        <message>
            <source>Interval</source>
            <translation>Abschnitt</translation>
        </message>
        <message>
            <source>Median</source>
            <translation>Median</translation>
        </message>
        <message>
            <source>90th percentile</source>
            <translation>90. Perzentil</translation>
        </message>
        <message>
            <source>Call to dispatch</source>
            <translation>Anruf bis Alarmierung</translation>
        </message>
        <message>
            <source>Dispatch to arrival</source>
            <translation>Alarmierung bis Eintreffen</translation>
        </message>
        <message>
            <source>Incidents by category</source>
            <translation>Einsätze nach Kategorie</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>Kategorie</translation>
        </message>
        <message>
            <source>Incidents by Stadtteil</source>
            <translation>Einsätze nach Stadtteil</translation>
        </message>
        <message>
            <source>Stadtteil</source>
            <translation>Stadtteil</translation>
        </message>
        <message>
            <source>Incidents by weekday</source>
            <translation>Einsätze nach Wochentag</translation>
        </message>
        <message>
            <source>Weekday</source>
            <translation>Wochentag</translation>
        </message>
        <message>
            <source>Incidents by hour of day</source>
            <translation>Einsätze nach Tageszeit</translation>
        </message>
        <message>
            <source>Hour</source>
            <translation>Uhrzeit</translation>
        </message>
        <message>
            <source>Unit hours by status</source>
            <translation>Einheitenstunden nach Status</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Hours</source>
            <translation>Stunden</translation>
        </message>
        <message>
            <source>%1 cannot be written (%2).</source>
            <translation>%1 kann nicht geschrieben werden (%2).</translation>
        </message>
    </context>
    <context>
        <name>statistics_print</name>
        <message>
            <source>none</source>
            <translation>keine</translation>
        </message>
        <message>
            <source>Statistics</source>
            <translation>Statistik</translation>
        </message>
        <message>
            <source>Statistics-%1</source>
            <translation>Statistik-%1</translation>
        </message>
        <message>
            <source>Statistics %1</source>
            <translation>Statistik %1</translation>
        </message>
        <message>
            <source>Made %1. Counts and times only, without personal data.</source>
            <translation>Erstellt am %1. Nur Anzahlen und Zeiten, ohne personenbezogene Daten.</translation>
        </message>
        <message>
            <source>priority %1: %2 min</source>
            <translation>Priorität %1: %2 min</translation>
        </message>
        <message>
            <source>How the figures are counted</source>
            <translation>Wie gezählt wird</translation>
        </message>
        <message>
            <source>Incidents count in the period they were received in (Berlin time). Median and 90th percentile by nearest rank. Late: dispatched after the target of its priority (%1). Unit hours: time each unit spent in each status within the period. Joint patrols: tasks naming the police. Bodycam: recordings started, holds placed and recordings deleted in the period.</source>
            <translation>Einsätze zählen in dem Zeitraum, in dem sie eingingen (Berliner Zeit). Median und 90. Perzentil nach dem Rangverfahren (nearest rank). Verspätet: nach der Zielzeit der Priorität alarmiert (%1). Einheitenstunden: Zeit, die jede Einheit im Zeitraum in jedem Status verbrachte. Gemeinsame Streifen: Aufträge, die die Polizei nennen. Bodycam: im Zeitraum begonnene Aufnahmen, gesetzte Sperrungen und gelöschte Aufnahmen.</translation>
        </message>
    </context>
    <context>
        <name>task_status</name>
        <message>
            <source>Open</source>
            <translation>Offen</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Erledigt</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Storniert</translation>
        </message>
    </context>
    <context>
        <name>tasks</name>
        <message>
            <source>Task %1 does not exist.</source>
            <translation>Auftrag %1 existiert nicht.</translation>
        </message>
        <message>
            <source>Latitude and longitude belong together.</source>
            <translation>Breiten- und Längengrad müssen zusammen angegeben werden.</translation>
        </message>
        <message>
            <source>The coordinates are not valid.</source>
            <translation>Die Koordinaten sind ungültig.</translation>
        </message>
        <message>
            <source>Enter a title for the task.</source>
            <translation>Geben Sie einen Titel für den Auftrag ein.</translation>
        </message>
        <message>
            <source>The title is too long (at most %1 characters).</source>
            <translation>Der Titel ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>The description is too long (at most %1 characters).</source>
            <translation>Die Beschreibung ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>The address is too long.</source>
            <translation>Die Adresse ist zu lang.</translation>
        </message>
        <message>
            <source>The follow-up note is too long (at most %1 characters).</source>
            <translation>Der Vermerk zur Wiedervorlage ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Unknown category '%1'.</source>
            <translation>Unbekannte Kategorie „%1“.</translation>
        </message>
        <message>
            <source>Unit %1 does not exist or is not active.</source>
            <translation>Einheit %1 existiert nicht oder ist nicht aktiv.</translation>
        </message>
        <message>
            <source>This person cannot be given tasks.</source>
            <translation>Dieser Person können keine Aufträge erteilt werden.</translation>
        </message>
        <message>
            <source>These fields cannot be changed: %1</source>
            <translation>Diese Felder können nicht geändert werden: %1</translation>
        </message>
        <message>
            <source>Task %1 is not open any more.</source>
            <translation>Auftrag %1 ist nicht mehr offen.</translation>
        </message>
        <message>
            <source>Give a reason for cancelling the task.</source>
            <translation>Geben Sie einen Grund für das Stornieren des Auftrags an.</translation>
        </message>
        <message>
            <source>The reason is too long (at most %1 characters).</source>
            <translation>Der Grund ist zu lang (höchstens %1 Zeichen).</translation>
        </message>
        <message>
            <source>Task %1 is already open.</source>
            <translation>Auftrag %1 ist bereits offen.</translation>
        </message>
        <message>
            <source>A reminder can be postponed by 1 minute to 7 days.</source>
            <translation>Eine Wiedervorlage kann um 1 Minute bis 7 Tage verschoben werden.</translation>
        </message>
    </context>
    <context>
        <name>unit_admin</name>
        <message>
            <source>Enter a call sign (e.g. KOD 35).</source>
            <translation>Bitte einen Funkrufnamen eingeben (z. B. KOD 35).</translation>
        </message>
        <message>
            <source>A call sign has at most %1 characters.</source>
            <translation>Ein Funkrufname hat höchstens %1 Zeichen.</translation>
        </message>
        <message>
            <source>Enter the kind of unit (e.g. Streife).</source>
            <translation>Bitte die Art der Einheit eingeben (z. B. Streife).</translation>
        </message>
        <message>
            <source>The kind has at most %1 characters.</source>
            <translation>Die Art hat höchstens %1 Zeichen.</translation>
        </message>
        <message>
            <source>Unit %1 does not exist.</source>
            <translation>Einheit %1 existiert nicht.</translation>
        </message>
        <message>
            <source>%1 has an open emergency (Notruf) and cannot be taken out of service.</source>
            <translation>%1 hat einen offenen Notruf und kann nicht außer Dienst gestellt werden.</translation>
        </message>
        <message>
            <source>%1 is assigned to an open incident. Release it from the incident first, then take it out of service.</source>
            <translation>%1 ist einem offenen Einsatz zugeordnet. Bitte die Einheit zuerst aus dem Einsatz lösen, dann außer Dienst stellen.</translation>
        </message>
        <message>
            <source>A unit has at most %1 people.</source>
            <translation>Eine Einheit hat höchstens %1 Personen.</translation>
        </message>
        <message>
            <source>%1 is out of service: put it back into service before giving it a crew.</source>
            <translation>%1 ist außer Dienst: Bitte die Einheit erst wieder in Dienst stellen, dann die Besatzung eintragen.</translation>
        </message>
        <message>
            <source>Person %1 is not an active member of the field staff.</source>
            <translation>Person %1 gehört nicht (mehr) zum aktiven Außendienst.</translation>
        </message>
        <message>
            <source>The call sign %1 is taken already by the unit %2 (units out of service keep theirs). Choose another one.</source>
            <translation>Der Funkrufname %1 ist schon vergeben, an die Einheit %2 (auch außer Dienst gestellte Einheiten behalten ihren Namen). Bitte einen anderen wählen.</translation>
        </message>
        <message>
            <source>The call sign %1 is taken already. Choose another one.</source>
            <translation>Der Funkrufname %1 ist schon vergeben. Bitte einen anderen wählen.</translation>
        </message>
    </context>
    <context>
        <name>unit_board</name>
        <message>
            <source>Units</source>
            <translation>Einheiten</translation>
        </message>
    </context>
    <context>
        <name>unit_state</name>
        <message>
            <source>NOT CONFIRMED – alarmed %1 (status %2)</source>
            <translation>NICHT BESTÄTIGT – alarmiert %1 (Status %2)</translation>
        </message>
        <message>
            <source>Alarmed %1, not yet confirmed (status %2)</source>
            <translation>Alarmiert %1, noch nicht bestätigt (Status %2)</translation>
        </message>
    </context>
    <context>
        <name>unit_status</name>
        <message>
            <source>Urgent request to talk</source>
            <translation>Priorisierter Sprechwunsch</translation>
        </message>
        <message>
            <source>Available on radio</source>
            <translation>Einsatzbereit über Funk</translation>
        </message>
        <message>
            <source>Available at station</source>
            <translation>Auf Wache</translation>
        </message>
        <message>
            <source>Job accepted, en route</source>
            <translation>Einsatz übernommen</translation>
        </message>
        <message>
            <source>On scene</source>
            <translation>Am Einsatzort</translation>
        </message>
        <message>
            <source>Request to talk</source>
            <translation>Sprechwunsch</translation>
        </message>
        <message>
            <source>Not available</source>
            <translation>Nicht einsatzbereit</translation>
        </message>
        <message>
            <source>EMERGENCY</source>
            <translation>NOTRUF</translation>
        </message>
    </context>
    <context>
        <name>units</name>
        <message>
            <source>Unit %1 does not exist.</source>
            <translation>Einheit %1 existiert nicht.</translation>
        </message>
        <message>
            <source>A call sign has 1 to 32 characters.</source>
            <translation>Ein Funkrufname hat 1 bis 32 Zeichen.</translation>
        </message>
        <message>
            <source>The call sign %1 exists already.</source>
            <translation>Den Funkrufnamen %1 gibt es bereits.</translation>
        </message>
        <message>
            <source>Unknown status '%1'.</source>
            <translation>Unbekannter Status „%1“.</translation>
        </message>
        <message>
            <source>The coordinates are not valid.</source>
            <translation>Die Koordinaten sind ungültig.</translation>
        </message>
        <message>
            <source>Incident %1 does not exist.</source>
            <translation>Einsatz %1 existiert nicht.</translation>
        </message>
        <message>
            <source>Emergency %1 does not exist.</source>
            <translation>Notruf %1 existiert nicht.</translation>
        </message>
        <message>
            <source>There is no open emergency for this unit.</source>
            <translation>Für diese Einheit liegt kein offener Notruf vor.</translation>
        </message>
    </context>
    <context>
        <name>users</name>
        <message>
            <source>This account is disabled. Please contact the administration.</source>
            <translation>Dieses Konto ist deaktiviert. Bitte wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>The user name '%1' is not valid: 2 to 63 characters a–z, digits, dots, hyphens or underscores, starting with a letter or digit (umlauts as ae, oe, ue, ss).</source>
            <translation>Der Benutzername „%1“ ist ungültig: 2 bis 63 Zeichen a–z, Ziffern, Punkte, Bindestriche oder Unterstriche, beginnend mit Buchstabe oder Ziffer (Umlaute als ae, oe, ue, ss).</translation>
        </message>
        <message>
            <source>The password must have at least %1 characters.</source>
            <translation>Das Passwort muss mindestens %1 Zeichen lang sein.</translation>
        </message>
        <message>
            <source>The password must not contain control characters.</source>
            <translation>Das Passwort darf keine Steuerzeichen enthalten.</translation>
        </message>
        <message>
            <source>The user name '%1' is already taken.</source>
            <translation>Der Benutzername „%1“ ist bereits vergeben.</translation>
        </message>
        <message>
            <source>The login '%1' already exists on the PostgreSQL server (another database or service uses it). Choose another user name.</source>
            <translation>Die Anmeldung „%1“ gibt es auf dem PostgreSQL-Server schon (eine andere Datenbank oder ein Dienst nutzt sie). Bitte einen anderen Benutzernamen wählen.</translation>
        </message>
        <message>
            <source>There is no user '%1'.</source>
            <translation>Es gibt keinen Benutzer „%1“.</translation>
        </message>
        <message>
            <source>You cannot disable your own login or change your own role.</source>
            <translation>Die eigene Anmeldung kann man nicht sperren und die eigene Rolle nicht ändern.</translation>
        </message>
        <message>
            <source>The user name '%1' is not valid.</source>
            <translation>Der Benutzername „%1“ ist ungültig.</translation>
        </message>
        <message>
            <source>Directory logins exist only on a PostgreSQL server.</source>
            <translation>Verzeichnis-Anmeldungen gibt es nur auf einem PostgreSQL-Server.</translation>
        </message>
        <message>
            <source>A directory login has no password of its own.</source>
            <translation>Eine Verzeichnis-Anmeldung hat kein eigenes Passwort.</translation>
        </message>
        <message>
            <source>The login %1 owns the database; it is for setting up, not for work at the workstation. Log in with your personal user name.</source>
            <translation>Die Anmeldung %1 ist Eigentümerin der Datenbank; sie dient der Einrichtung, nicht der Arbeit am Leitstellenplatz. Bitte mit dem persönlichen Benutzernamen anmelden.</translation>
        </message>
        <message>
            <source>Database owner</source>
            <translation>Datenbank-Eigentümer</translation>
        </message>
        <message>
            <source>The login %1 has no role of the control room (or more than one). Please contact the administration.</source>
            <translation>Die Anmeldung %1 hat keine Rolle der Leitstelle (oder mehr als eine). Bitte wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>The login %1 has no account in this database. Please contact the administration.</source>
            <translation>Die Anmeldung %1 hat kein Konto in dieser Datenbank. Bitte wenden Sie sich an die Administration.</translation>
        </message>
        <message>
            <source>User name or password is wrong.</source>
            <translation>Benutzername oder Passwort falsch.</translation>
        </message>
        <message>
            <source>Too many failed logins: the account is locked until %1.</source>
            <translation>Zu viele fehlgeschlagene Anmeldungen: Das Konto ist bis %1 gesperrt.</translation>
        </message>
    </context>
    <context>
        <name>validation</name>
        <message>
            <source>The field %1 contains a control character that cannot be stored. Please type the text again.</source>
            <translation>Das Feld „%1“ enthält ein Steuerzeichen, das nicht gespeichert werden kann. Bitte den Text neu eingeben.</translation>
        </message>
        <message>
            <source>The search contains a control character. Please type it again.</source>
            <translation>Die Suche enthält ein Steuerzeichen. Bitte neu eingeben.</translation>
        </message>
        <message>
            <source>%1: the date %2 is outside the possible range (%3 to %4).</source>
            <translation>%1: Das Datum %2 liegt außerhalb des möglichen Bereichs (%3 bis %4).</translation>
        </message>
        <message>
            <source>%1 is too long (at most %2 characters).</source>
            <translation>%1 ist zu lang (höchstens %2 Zeichen).</translation>
        </message>
    </context>
    <context>
        <name>work_items</name>
        <message>
            <source>The date and time are not valid.</source>
            <translation>Datum und Uhrzeit sind ungültig.</translation>
        </message>
    </context>
</TS>
