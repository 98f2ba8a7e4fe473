#!/usr/bin/env bash
# Makes the toolchain rust-toolchain.toml pins available to rustup without a download, where the
# machine has that very release installed under another name (as `stable`): rustup would
# otherwise try to fetch it, and these machines reach no toolchain server. Does nothing when
# rustup already has it, or when `stable` is another release (rustup then says what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v rustup >/dev/null 2>&1 || exit 0
want=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
toolchains="$(rustup show home)/toolchains"
host=$(RUSTUP_TOOLCHAIN=stable rustc -vV | sed -n 's/^host: //p')
[ -e "$toolchains/$want-$host" ] && exit 0
stable=$(RUSTUP_TOOLCHAIN=stable rustc --version | cut -d' ' -f2)
if [ "$stable" = "$want" ]; then
  ln -s "$toolchains/stable-$host" "$toolchains/$want-$host"
  echo "toolchain $want: the installed stable ($stable), linked as $want-$host"
fi
