#!/bin/sh
# POST a listing to markwatch's clearance API with curl and print the JSON answer.
#
#   sh clear.sh http://127.0.0.1:8000 ../photo.json [TOKEN]
#
# The listing is the JSON `markwatch clear` reads; the server refuses file paths, so each
# image path in it (relative to the file) is sent as a data: URI. Needs curl and jq.
set -eu
server=${1:?server address, e.g. http://127.0.0.1:8000}
listing=${2:?listing JSON file}
token=${3:-}
dir=$(dirname "$listing")

body=$(mktemp)
trap 'rm -f "$body"' EXIT
# Every image path becomes data:<type>;base64,<bytes>; data: URIs are kept as they are.
jq -c '.images // []' "$listing" | jq -r '.[]' | while IFS= read -r image; do
  case "$image" in
    data:*) printf '%s\n' "$image" ;;
    *.png) printf 'data:image/png;base64,%s\n' "$(base64 -w0 "$dir/$image")" ;;
    *.webp) printf 'data:image/webp;base64,%s\n' "$(base64 -w0 "$dir/$image")" ;;
    *) printf 'data:image/jpeg;base64,%s\n' "$(base64 -w0 "$dir/$image")" ;;
  esac
done | jq -R . | jq -s --slurpfile listing "$listing" '$listing[0] + {images: .}' > "$body"

curl --silent --show-error --fail-with-body \
  -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
  --data-binary @"$body" "${server%/}/api/clearance"
echo
