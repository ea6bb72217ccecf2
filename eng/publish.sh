#!/usr/bin/env bash
# Publishes the sample plugins NativeAOT into artifacts/cni/bin/ (under the reference plugins' names)
# and the tools into artifacts/bin/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p artifacts/cni/bin artifacts/bin
projects=(samples/*/*.csproj)
count=0
publish() { # project output-dir binary-name
  local project=$1 out=$2 name=$3 started=$SECONDS
  count=$((count + 1))
  echo "  publishing $name ($count/${#projects[@]}, NativeAOT) …"
  dotnet publish "$project" -c Release -r linux-x64 -nologo -clp:ErrorsOnly -o "artifacts/publish/$name" >/dev/null
  cp "artifacts/publish/$name/$name" "$out/$name"
  echo "  published $out/$name ($((SECONDS - started))s)"
}
for p in "${projects[@]}"; do
  [ -e "$p" ] || continue
  name=$(sed -n 's:.*<AssemblyName>\(.*\)</AssemblyName>.*:\1:p' "$p")
  kind=$(sed -n 's:.*<CniSampleKind>\(.*\)</CniSampleKind>.*:\1:p' "$p")
  if [ "$kind" = plugin ]; then publish "$p" artifacts/cni/bin "$name"; else publish "$p" artifacts/bin "$name"; fi
done
