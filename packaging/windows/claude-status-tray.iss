; Inno Setup script for Claude Status Tray (per-user install, no admin rights needed).
;
; Build the PyInstaller onedir first (python packaging\build.py), then:
;   iscc /DAppVersion=0.1.0 /DSourceDir=dist\claude-status-tray /Odist packaging\windows\claude-status-tray.iss
; packaging\build.py runs exactly that when iscc is on PATH (or ISCC names it).
;
; The optional "start at login" task writes the same value as tray_app/platform/autostart.py:
;   HKCU\Software\Microsoft\Windows\CurrentVersion\Run  "ClaudeStatusTray" = "<path>\claude-status-tray.exe"
; so `claude-status-tray-cli autostart status` and the tray's checkbox see it, and the
; uninstaller removes it whoever wrote it.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\claude-status-tray"
#endif
#define AppName "Claude Status Tray"
#define AppExe "claude-status-tray.exe"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define RunValue "ClaudeStatusTray"

[Setup]
; A fixed AppId keeps upgrades and the uninstaller tied to one entry. Never change it.
AppId={{6F1C2C1E-4B8B-4D7A-9C55-3C1A7E2B9D41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Claude Status Tray developers
DefaultDirName={localappdata}\Programs\Claude Status Tray
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputBaseFilename=claude-status-tray-{#AppVersion}-windows-setup
SetupIconFile=..\..\assets\claude-status-tray.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Ask the running tray to close before files are replaced or removed.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "startatlogin"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Options:"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Quoted path, as autostart.py writes it. uninsdeletevalue: the uninstaller removes it.
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValue}"; ValueData: """{app}\{#AppExe}"""; Tasks: startatlogin; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Stop a running copy so its files can be deleted.
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM {#AppExe}"; Flags: runhidden; RunOnceId: "StopTray"

[Code]
// The tray's "Start at login" checkbox may have written the Run value without the task:
// remove it on uninstall whoever wrote it (the [Registry] flag only covers the task's write).
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValue}');
end;
