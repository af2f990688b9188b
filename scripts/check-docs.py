#!/usr/bin/python3
"""Truth checks of README.md and docs/*.md, run by scripts/checks.d/docs.sh:
1. every relative link resolves to a file in the repository (and a #fragment to a heading of that page);
2. every ```csharp block compiles as the Program.cs of a console project that references the three packages'
   projects and the generator, unless an HTML comment starting '<!-- fragment' stands right before it.
Prints one line per problem and exits 1 when there is any."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PAGES = ["README.md"] + sorted(os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
problems = []


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"(?s)```.*?```", "", f.read())
    return {slug(h) for h in re.findall(r"(?m)^#+ (.*)$", text)}


blocks = []
for page in PAGES:
    path = os.path.join(ROOT, page)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    prose = re.sub(r"(?s)```.*?```", "", text)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"^[a-z]+:", target) or target.startswith("#") and False:
            continue
        file, _, fragment = target.partition("#")
        resolved = path if file == "" else os.path.normpath(os.path.join(os.path.dirname(path), file))
        if not os.path.exists(resolved):
            problems.append(f"{page}: link '{target}' leads to nothing ({os.path.relpath(resolved, ROOT)})")
        elif fragment and resolved.endswith(".md") and fragment not in anchors(resolved):
            problems.append(f"{page}: link '{target}' names no heading of {os.path.relpath(resolved, ROOT)}")
    for m in re.finditer(r"(?s)(<!-- fragment[^>]*-->\s*\n)?```csharp\n(.*?)```", text):
        if m.group(1) is None:
            line = text.count("\n", 0, m.start()) + 1
            blocks.append((page, line, m.group(2)))

work = tempfile.mkdtemp(prefix="gensoftmax-docs-")
try:
    with open(os.path.join(work, "Docs.csproj"), "w") as f:
        f.write(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable><NoWarn>CS8321;CS0168;CS0219;CA1050</NoWarn></PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="{ROOT}/src/Runtime/GenSoftmax.csproj" />
    <ProjectReference Include="{ROOT}/src/Data/GenSoftmax.Data.csproj" />
    <ProjectReference Include="{ROOT}/src/Onnx/GenSoftmax.Onnx.csproj" />
    <ProjectReference Include="{ROOT}/src/Generator/GenSoftmax.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
""")
    for page, line, code in blocks:
        with open(os.path.join(work, "Program.cs"), "w", encoding="utf-8") as f:
            f.write(code)
        run = subprocess.run(["dotnet", "build", work, "-c", "Release", "--nologo", "-v", "q", "-clp:NoSummary"],
                             capture_output=True, text=True)
        if "CS5001" in run.stdout:
            # Declarations only (no statements): compile them beside an empty entry point.
            with open(os.path.join(work, "Entry.cs"), "w") as f:
                f.write("internal static class DocsEntry { private static void Main() { } }\n")
            run = subprocess.run(["dotnet", "build", work, "-c", "Release", "--nologo", "-v", "q", "-clp:NoSummary"],
                                 capture_output=True, text=True)
            os.remove(os.path.join(work, "Entry.cs"))
        errors = sorted(set(re.findall(r"Program\.cs\(\d+,\d+\): error [^\[]*", run.stdout)))
        if run.returncode != 0:
            problems.append(f"{page}:{line}: the C# block does not compile: " + ("; ".join(errors[:3]) or run.stdout[-400:]))
        else:
            print(f"compiles: {page}:{line}")
finally:
    shutil.rmtree(work, ignore_errors=True)

for p in problems:
    print(p)
print(f"{len(PAGES)} pages, {len(blocks)} C# blocks compiled, {len(problems)} problems")
sys.exit(1 if problems else 0)
