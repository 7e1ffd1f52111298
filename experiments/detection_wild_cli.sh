#!/usr/bin/env bash
# Issue 13, measured through the public interface: `upconv-tf detector evaluate` on the in-the-wild corpus laid
# out by `python experiments/detection_wild.py --cache CORPUS --layout DIR`, for the paper preset, the default
# preset with the azimuthal integral (the default before rings-cells-colour) and the default preset as shipped.
# Cross-family: leave one family group out (DIR/families.json). Within a family: grouped random halves of the
# real photos and of one family's workflows, 2 runs. Groups: source photo / workflow (--group-by prefix).
# Usage: experiments/detection_wild_cli.sh DIR [UPCONV_TF]   -> DIR/res/{cross,within}_*.json (existing kept)
# then `python experiments/detection_wild.py --collect DIR` puts them into docs/results/detection_wild.json.
set -eu
W=$1; B=${2:-upconv-tf}; R=$W/res
mkdir -p "$R"
declare -A ARGS=([paper]="--preset paper" [azimuthal]="--features azimuthal" [default]="")
cross() {
  [ -f "$R/cross_$1.json" ] || $B detector evaluate --real "$W/real" --fake "$W/fake" --families "$W/families.json" \
    --group-by prefix --protocol cross-family ${ARGS[$1]} --json "$R/cross_$1.json" > "$R/cross_$1.txt" 2>&1
}
within() {
  local fake
  case $2 in api) fake=$(ls -d "$W"/fake/api_*);; *) fake=$W/fake/$2;; esac
  [ -f "$R/within_$1_$2.json" ] || $B detector evaluate --real "$W/real" --fake $fake --group-by prefix \
    --protocol splits --runs 2 --test-size 0.5 ${ARGS[$1]} --json "$R/within_$1_$2.json" > "$R/within_$1_$2.txt" 2>&1
}
for preset in default paper azimuthal; do cross $preset; done
for family in qwen_image app flux flux2 hidream api; do
  for preset in default paper azimuthal; do within $preset $family; done
done
