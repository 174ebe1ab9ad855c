//go:build mage
// +build mage

package main

import (
	"encoding/json"
	"os"
	"runtime"
	"time"

	"github.com/magefile/mage/mg"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
	"github.com/grafana/grafana-plugin-sdk-go/build/buildinfo"
)

// The backend belongs to the nested data source (src/datasource/plugin.json);
// the SDK finds its executable there but stamps the app's id from
// src/plugin.json into the build info, so we stamp the right one.
const dataSourcePluginJSON = "src/datasource/plugin.json"

func init() {
	_ = build.SetBeforeBuildCallback(func(cfg build.Config) (build.Config, error) {
		info := buildinfo.Info{Time: time.Now().UnixMilli(), PluginID: readJSONString(dataSourcePluginJSON, "id"), Version: readJSONString("package.json", "version")}
		b, err := json.Marshal(info)
		if err != nil {
			return cfg, err
		}
		if cfg.CustomVars == nil {
			cfg.CustomVars = map[string]string{}
		}
		cfg.CustomVars["github.com/grafana/grafana-plugin-sdk-go/build/buildinfo.buildInfoJSON"] = string(b)
		cfg.CustomVars["main.pluginID"] = info.PluginID
		return cfg, nil
	})
}

func readJSONString(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// Default builds the release platforms.
var Default = Release

// Release builds gpx_pyflare for linux/amd64, linux/arm64, darwin/arm64 and
// windows/amd64 into dist/datasource/, plus dist/go_plugin_build_manifest.
func Release() {
	b := build.Build{}
	mg.Deps(b.Linux, b.LinuxARM64, b.DarwinARM64, b.Windows)
	// Each build writes the manifest; write it once more after the parallel
	// builds so the file never reflects an interleaved write.
	mg.Deps(b.GenerateManifestFile)
}

// BuildCurrent builds gpx_pyflare for this machine's platform only (used by tests).
func BuildCurrent() error {
	return build.Build{}.Custom(runtime.GOOS, runtime.GOARCH)
}
