# Install the official TypeScript client (@ratio1/edge-sdk-ts, pinned in
# npm/package.json) into $R1_BUILDDIR/npm-cstore once, kept between runs;
# the tests that use it source this.  A lock keeps two tests running at the
# same time (make -j2 check) from installing over each other.  Sets SDK_DIR.
SDK_DIR="$R1_BUILDDIR/npm-cstore"
mkdir -p "$SDK_DIR"
(
	flock 9
	if ! cmp -s "$R1_SRCDIR/tests/integration/npm/package.json" "$SDK_DIR/package.json"; then
		cp "$R1_SRCDIR/tests/integration/npm/package.json" "$SDK_DIR/package.json"
		rm -rf "$SDK_DIR/node_modules"
	fi
	if [ ! -f "$SDK_DIR/node_modules/@ratio1/edge-sdk-ts/package.json" ]; then
		(cd "$SDK_DIR" && npm install --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1
	fi
) 9>"$SDK_DIR.lock"
[ -f "$SDK_DIR/node_modules/@ratio1/edge-sdk-ts/package.json" ]
must $? "@ratio1/edge-sdk-ts is installed in the build directory" \
	"npm install failed: $(tail -5 "$T/npm.log" 2>/dev/null)"
is "$(cd "$SDK_DIR" && node -p 'JSON.parse(require("fs").readFileSync("node_modules/@ratio1/edge-sdk-ts/package.json")).version')" "1.5.2" \
	"the pinned client version"
