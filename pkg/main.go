// Command gpx_pyflare is the backend of the PyFlare data source. Grafana starts
// it as a hashicorp go-plugin (gRPC) process; datasource.Manage serves it and
// keeps one Datasource instance per configured data source.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/pyflare/observability/pkg/plugin"
)

func main() {
	if err := datasource.Manage(plugin.PluginID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
