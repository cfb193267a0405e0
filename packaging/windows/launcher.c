/*
 * Launcher of KOD-Leitstelle on Windows: one small exe per entry point (kod-leitstelle.exe,
 * kod-admin.exe, kod-field-api.exe), built by build.py with mingw-w64.
 *
 * It finds its own folder, points python-vlc at the bundled VLC (PYTHON_VLC_LIB_PATH,
 * PYTHON_VLC_MODULE_PATH: a VLC of the user's own, maybe of the wrong bitness, is never
 * picked up), and runs the bundled Python with the entry point, passing the command line on.
 * Python runs with -B: nothing is written into the install folder at run time; -X utf8: output
 * redirected by a script or a deployment tool is UTF-8, never a UnicodeEncodeError. The exit code
 * of Python is the exit code of the launcher; ending the launcher ends Python (job object).
 *
 * Compile-time definitions (from build.py):
 *   KOD_PYTHON   L"python.exe" (console tools) or L"pythonw.exe" (the workstation, GUI)
 *   KOD_CODE     the Python code to run, e.g. L"import sys; from ui.main import main; ..."
 *   KOD_GUI      defined for the workstation (wWinMain, errors in a message box)
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

#ifndef KOD_PYTHON
#error "KOD_PYTHON not defined"
#endif
#ifndef KOD_CODE
#error "KOD_CODE not defined"
#endif

#define CMD_MAX 32768

static void fail(const wchar_t *text)
{
#ifdef KOD_GUI
    MessageBoxW(NULL, text, L"KOD-Leitstelle", MB_OK | MB_ICONERROR);
#else
    fwprintf(stderr, L"%ls\n", text);
#endif
}

/* The command line after the program name, as typed (quotes kept). */
static const wchar_t *arguments(void)
{
    const wchar_t *p = GetCommandLineW();
    if (*p == L'"') {
        p++;
        while (*p && *p != L'"')
            p++;
        if (*p)
            p++;
    } else {
        while (*p && *p != L' ' && *p != L'\t')
            p++;
    }
    while (*p == L' ' || *p == L'\t')
        p++;
    return p;
}

static int run(void)
{
    static wchar_t dir[MAX_PATH], python[MAX_PATH], lib[MAX_PATH], plugins[MAX_PATH];
    static wchar_t cmd[CMD_MAX];
    DWORD n = GetModuleFileNameW(NULL, dir, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) {
        fail(L"KOD-Leitstelle: Der Programmordner ist nicht zu ermitteln.");
        return 70;
    }
    wchar_t *slash = wcsrchr(dir, L'\\');
    if (slash)
        *slash = 0;

    _snwprintf(python, MAX_PATH, L"%ls\\python\\%ls", dir, KOD_PYTHON);
    _snwprintf(lib, MAX_PATH, L"%ls\\vlc\\libvlc.dll", dir);
    _snwprintf(plugins, MAX_PATH, L"%ls\\vlc\\plugins", dir);
    /* Only when the bundled VLC is there (a test build has a stand-in folder): python-vlc ends
     * the whole program if PYTHON_VLC_LIB_PATH names a file it cannot load. */
    if (GetFileAttributesW(lib) != INVALID_FILE_ATTRIBUTES) {
        SetEnvironmentVariableW(L"PYTHON_VLC_LIB_PATH", lib);
        SetEnvironmentVariableW(L"PYTHON_VLC_MODULE_PATH", plugins);
    }
    /* The Python runtime is ours alone: no PYTHONHOME/PYTHONPATH of another Python applies. */
    SetEnvironmentVariableW(L"PYTHONHOME", NULL);
    SetEnvironmentVariableW(L"PYTHONPATH", NULL);

    if (GetFileAttributesW(python) == INVALID_FILE_ATTRIBUTES) {
        fail(L"KOD-Leitstelle: Die Installation ist unvollständig (Python-Laufzeit fehlt). "
             L"Bitte das Paket neu installieren.");
        return 71;
    }
    int len = _snwprintf(cmd, CMD_MAX, L"\"%ls\" -E -s -B -X utf8 -c \"%ls\" %ls", python, KOD_CODE,
                         arguments());
    if (len < 0 || len >= CMD_MAX) {
        fail(L"KOD-Leitstelle: Die Befehlszeile ist zu lang.");
        return 72;
    }

    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (job) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
        ZeroMemory(&limits, sizeof limits);
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
    }

    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE),
           err = GetStdHandle(STD_ERROR_HANDLE);
    if (out && out != INVALID_HANDLE_VALUE) {
        /* Redirected output (a script, a deployment tool) reaches Python too. */
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = in;
        si.hStdOutput = out;
        si.hStdError = err;
    }
    if (!CreateProcessW(python, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
        fail(L"KOD-Leitstelle: Die Python-Laufzeit konnte nicht gestartet werden.");
        return 73;
    }
    if (job)
        AssignProcessToJobObject(job, pi.hProcess);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    return (int)code;
}

#ifdef KOD_GUI
int WINAPI wWinMain(HINSTANCE h, HINSTANCE prev, PWSTR line, int show)
{
    (void)h;
    (void)prev;
    (void)line;
    (void)show;
    return run();
}
#else
int wmain(void)
{
    return run();
}
#endif
