# Sourced by the npm scripts that run on a fresh clone: installs the locked dependencies (which bring
# Node 24 into node_modules/.bin) when they are missing or older than the lockfile, then puts that Node first.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
export PATH="$PWD/node_modules/.bin:$PATH"
case "$(node --version)" in
  v24.*) ;;
  *) echo "expected Node 24 from node_modules/.bin, got $(node --version)" >&2; exit 1 ;;
esac
