#!/usr/bin/env bash
# Publishes the sample plugins NativeAOT into artifacts/cni/bin/ (under the reference plugins' names)
# and the tools into artifacts/bin/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p artifacts/cni/bin artifacts/bin
# One build stamp for every plugin of this publish (src/Cni.Net/Processes/PluginBuildStamp.cs): 16 random bytes and
# "CNINETB1" after the ELF image. A plugin with a delegate's handler compiled in (bridge has host-local's) runs it
# in-process when the delegate found on CNI_PATH carries the same stamp, and exec's any other binary.
stamp=$(mktemp); trap 'rm -f "$stamp"' EXIT
head -c 16 /dev/urandom >"$stamp"; printf CNINETB1 >>"$stamp"
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
  if [ "$kind" = plugin ]; then
    publish "$p" artifacts/cni/bin "$name"
    cat "$stamp" >>"artifacts/cni/bin/$name"
  else
    publish "$p" artifacts/bin "$name"
  fi
done
