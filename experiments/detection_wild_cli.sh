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

# `detector train` with its defaults, then `detect --json` (the issue's "Done when"): Qwen-Image and every 5th
# real photo (by name) held out; `detection_wild.py --collect` scores DIR/res/detect_heldout.json.
H=$W/heldout
if [ ! -f "$R/detect_heldout.json" ]; then
  rm -rf "$H"; mkdir -p "$H/train/real" "$H/train/fake" "$H/test/real" "$H/test/fake"
  held=$(ls "$W/real" | sed 's/_[^_]*$//' | sort -u | awk 'NR % 5 == 0')
  for f in "$W"/real/*; do
    if echo "$held" | grep -qx "$(basename "$f" | sed 's/_[^_]*$//')"; then ln -s "$(readlink -f "$f")" "$H/test/real/"
    else ln -s "$(readlink -f "$f")" "$H/train/real/"; fi
  done
  for d in "$W"/fake/*; do
    if [ "$(basename "$d")" = qwen_image ]; then ln -s "$d"/* "$H/test/fake/"; else ln -s "$d"/* "$H/train/fake/"; fi
  done
  $B detector train --real "$H/train/real" --fake "$H/train/fake" --group-by prefix --no-export \
    --out "$R/heldout_detector" --overwrite > "$R/train_heldout.txt" 2>&1
  $B detect "$H/test" --model "$R/heldout_detector" --json "$R/detect_heldout.json" > "$R/detect_heldout.txt" 2>&1
fi
