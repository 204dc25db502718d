package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/peerpods/provisioner/cmd/peerpods/fleet"
)

const fleetUsage = "usage: peerpods fleet render --clusters FILE [--out DIR]"

// fleetCommand runs "peerpods fleet render": the PKO v2 manifests of a
// clusters file, on stdout or as files in --out.
func fleetCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "render" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, fleetUsage)
			return nil
		}
		return usageError{"fleet: the only command is render"}
	}
	fs := flag.NewFlagSet("peerpods fleet render", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	clusters := fs.String("clusters", "", "the clusters file (YAML; names Kubernetes Secrets, holds no secret values)")
	out := fs.String("out", "", "write fleet.yaml and peerpods-<cluster>.yaml into this directory instead of standard output")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, fleetUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *clusters == "" {
		return usageError{"fleet render: --clusters is required"}
	}
	data, err := os.ReadFile(*clusters)
	if err != nil {
		return err
	}
	f, err := fleet.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *clusters, err)
	}
	objs := fleet.Render(f)
	if *out == "" {
		data, err := fleet.YAML(objs)
		if err != nil {
			return err
		}
		_, err = stdout.Write(data)
		return err
	}
	files, err := fleet.Files(f, objs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}
