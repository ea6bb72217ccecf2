#!/usr/bin/env bash
# Builds the documentation site — the guides in docs/ and an API reference generated from the library's XML docs —
# as static HTML in artifacts/docs/ (open artifacts/docs/index.html, or serve the folder).
# Uses the docfx .NET tool, installed into artifacts/tools on the first run (from the NuGet source configured
# for this machine).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
docfx_version=2.81.0
tools="$root/artifacts/tools"
if [ ! -x "$tools/docfx" ]; then
  echo "installing docfx $docfx_version into $tools"
  dotnet tool install docfx --version "$docfx_version" --tool-path "$tools" >/dev/null
fi
echo "building the library (Release) for its XML docs"
dotnet build src/Cni.Net/Cni.Net.csproj -c Release -nologo -clp:ErrorsOnly -v:q
rm -rf artifacts/docs docs/api  # docs/api: generated API pages (git-ignored)
echo "docfx: API metadata and site"
DOCFX_SOURCE_BRANCH_NAME=main "$tools/docfx" docs/docfx.json --warningsAsErrors false
echo "site: $root/artifacts/docs/index.html ($(find artifacts/docs -name '*.html' | wc -l) pages)"
