package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/components/check"
	common "github.com/peerpods/provisioner/components/leftovers"
	poolleft "github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"libvirt.org/go/libvirtxml"
)

// StoragePool is a libvirt "dir" storage pool: defined, built, started and
// set to autostart. An existing pool of the same name and path is adopted
// (and left in place on delete); a pool it created is undefined on delete,
// and its directory removed only if it created it and it is empty.
type StoragePool struct{}

// StoragePoolArgs are the inputs of a StoragePool.
type StoragePoolArgs struct {
	// Name is the pool name.
	Name string `pulumi:"name"`
	// Path is the pool's directory on the host, absolute; its parent must
	// exist.
	Path string `pulumi:"path,optional"`
}

// StoragePoolState is the state of a StoragePool.
type StoragePoolState struct {
	StoragePoolArgs
	LegacyConnection
	// UUID is libvirt's UUID of the pool.
	UUID string `pulumi:"uuid"`
	// Adopted is true when the pool existed before and is left in place on
	// delete.
	Adopted bool `pulumi:"adopted"`
	// CreatedDir is true when the pool's directory was created for it.
	CreatedDir bool `pulumi:"createdDir"`
	// Active and Autostart are the pool's state as last read.
	Active    bool `pulumi:"active"`
	Autostart bool `pulumi:"autostart"`
}

// Annotate describes the resource and sets its token.
func (r *StoragePool) Annotate(a infer.Annotator) {
	a.Describe(r, "A libvirt dir storage pool for the peer-pods pod VM image.")
	a.SetToken(Module, "StoragePool")
}

// Annotate describes the inputs.
func (a *StoragePoolArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Pool name.")
	an.Describe(&a.Path, "Absolute directory of the pool on the host; its parent must exist.")
	an.SetDefault(&a.Path, settings.DefaultPoolPath)
}

// Check validates the inputs that are known; unknown ones (in a preview)
// are returned unknown and checked once known.
func (*StoragePool) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[StoragePoolArgs], error) {
	var fs failures
	inputs := checkConnected(ctx, &fs, req.NewInputs)
	args, f, err := infer.DefaultCheck[StoragePoolArgs](ctx, inputs)
	if err != nil || len(f) > 0 {
		return infer.CheckResponse[StoragePoolArgs]{Inputs: args, Failures: append(fs, f...)}, err
	}
	u := unknownInputs(inputs)
	fs.addKnown(u, "name", func() error { return check.Name("name", args.Name) })
	fs.addKnown(u, "path", func() error { return settings.CheckPoolPath("path", args.Path) })
	return infer.CheckResponse[StoragePoolArgs]{Inputs: args, Failures: fs}, nil
}

// Diff replaces the pool when its name or path change, and updates it
// when it is no longer active or autostarted, or to drop a legacy
// connection (see legacyDiff). An input unknown in a preview is reported
// as that change (see differ), not compared. Which host the pool lives on
// is the provider's configuration (Config.Diff).
func (*StoragePool) Diff(ctx context.Context, req infer.DiffRequest[StoragePoolArgs, StoragePoolState]) (infer.DiffResponse, error) {
	d := newDiffer(ctx)
	s, in := req.State, req.Inputs
	if err := legacyDiff(ctx, d, s.LegacyConnection); err != nil {
		return infer.DiffResponse{}, err
	}
	d.replace("name", s.Name != in.Name)
	d.replace("path", filepath.Clean(s.Path) != filepath.Clean(in.Path))
	if !s.Active {
		d.set("active", p.Update)
	}
	if !s.Autostart && !s.Adopted {
		d.set("autostart", p.Update)
	}
	return d.response(true), nil
}

// Create defines, builds, starts and autostarts the pool, or adopts an
// existing one of the same name and path.
func (*StoragePool) Create(ctx context.Context, req infer.CreateRequest[StoragePoolArgs]) (infer.CreateResponse[StoragePoolState], error) {
	in := req.Inputs
	state := StoragePoolState{StoragePoolArgs: in, Active: true, Autostart: true}
	if req.DryRun {
		return infer.CreateResponse[StoragePoolState]{ID: in.Name, Output: state}, nil
	}
	l, _, err := open(ctx, LegacyConnection{})
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, err
	}
	defer disconnect(ctx, l)
	log := p.GetLogger(ctx)

	if pool, err := l.StoragePoolLookupByName(in.Name); err == nil {
		path, err := poolPath(l, pool)
		if err != nil {
			return infer.CreateResponse[StoragePoolState]{}, err
		}
		if filepath.Clean(path) != filepath.Clean(in.Path) {
			return infer.CreateResponse[StoragePoolState]{}, fmt.Errorf(
				"storage pool %q already exists with path %s, not %s; fix: use path %s to adopt it, or another name",
				in.Name, path, in.Path, path)
		}
		if err := startPool(l, pool); err != nil {
			return infer.CreateResponse[StoragePoolState]{}, err
		}
		log.Infof("adopted the existing storage pool %q (%s); it stays when this resource is deleted", in.Name, path)
		state.Adopted = true
		return readPool(l, pool, state)
	} else if !isNotFound(err) {
		return infer.CreateResponse[StoragePoolState]{}, errorf(err, "looking up storage pool %q", in.Name)
	}

	// libvirt's build makes missing parents too (mkdir -p); a missing
	// parent is more likely a typo, so it is refused before anything is
	// defined.
	parentExists, err := dirExists(l, filepath.Dir(filepath.Clean(in.Path)))
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, err
	}
	if !parentExists {
		return infer.CreateResponse[StoragePoolState]{}, fmt.Errorf(
			"storage pool %q: the parent directory of %s does not exist on the host; fix: create it, or use a path under an existing directory such as %s",
			in.Name, in.Path, settings.DefaultPoolPath)
	}
	existed, err := dirExists(l, in.Path)
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, err
	}
	state.CreatedDir = !existed

	xml, err := (&libvirtxml.StoragePool{
		Type:   "dir",
		Name:   in.Name,
		Target: &libvirtxml.StoragePoolTarget{Path: filepath.Clean(in.Path)},
	}).Marshal()
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, err
	}
	pool, err := l.StoragePoolDefineXML(xml, 0)
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, errorf(err, "defining storage pool %q", in.Name)
	}
	undo := func(cause error) (infer.CreateResponse[StoragePoolState], error) {
		removePool(ctx, l, pool, state.CreatedDir)
		return infer.CreateResponse[StoragePoolState]{}, cause
	}
	if err := l.StoragePoolBuild(pool, 0); err != nil {
		return undo(errorf(err, "building storage pool %q", in.Name))
	}
	if err := startPool(l, pool); err != nil {
		return undo(err)
	}
	if err := l.StoragePoolSetAutostart(pool, 1); err != nil {
		return undo(errorf(err, "setting autostart of storage pool %q", in.Name))
	}
	log.Infof("created storage pool %q at %s", in.Name, in.Path)
	return readPool(l, pool, state)
}

// Read reports the pool as it is: gone, stopped, not autostarted, or at
// another path.
func (*StoragePool) Read(ctx context.Context, req infer.ReadRequest[StoragePoolArgs, StoragePoolState]) (infer.ReadResponse[StoragePoolArgs, StoragePoolState], error) {
	l, _, err := open(ctx, req.State.LegacyConnection)
	if err != nil {
		return infer.ReadResponse[StoragePoolArgs, StoragePoolState]{}, err
	}
	defer disconnect(ctx, l)
	pool, err := l.StoragePoolLookupByName(req.State.Name)
	if isNotFound(err) {
		return infer.ReadResponse[StoragePoolArgs, StoragePoolState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[StoragePoolArgs, StoragePoolState]{}, errorf(err, "looking up storage pool %q", req.State.Name)
	}
	got, err := readPool(l, pool, req.State)
	if err != nil {
		return infer.ReadResponse[StoragePoolArgs, StoragePoolState]{}, err
	}
	return infer.ReadResponse[StoragePoolArgs, StoragePoolState]{ID: req.ID, Inputs: req.Inputs, State: got.Output}, nil
}

// Update starts and autostarts the pool again, and drops a legacy
// connection from the state.
func (*StoragePool) Update(ctx context.Context, req infer.UpdateRequest[StoragePoolArgs, StoragePoolState]) (infer.UpdateResponse[StoragePoolState], error) {
	state := req.State
	state.StoragePoolArgs = req.Inputs
	state.LegacyConnection = LegacyConnection{}
	if req.DryRun {
		return infer.UpdateResponse[StoragePoolState]{Output: state}, nil
	}
	l, _, err := open(ctx, req.State.LegacyConnection)
	if err != nil {
		return infer.UpdateResponse[StoragePoolState]{}, err
	}
	defer disconnect(ctx, l)
	pool, err := l.StoragePoolLookupByName(req.Inputs.Name)
	if err != nil {
		return infer.UpdateResponse[StoragePoolState]{}, errorf(err, "looking up storage pool %q", req.Inputs.Name)
	}
	if err := startPool(l, pool); err != nil {
		return infer.UpdateResponse[StoragePoolState]{}, err
	}
	if !state.Adopted {
		if err := l.StoragePoolSetAutostart(pool, 1); err != nil {
			return infer.UpdateResponse[StoragePoolState]{}, errorf(err, "setting autostart of storage pool %q", req.Inputs.Name)
		}
	}
	got, err := readPool(l, pool, state)
	return infer.UpdateResponse[StoragePoolState]{Output: got.Output}, err
}

// Delete undefines a pool it created (removing the directory it created
// if empty) and leaves an adopted pool in place. It refuses, deleting
// nothing, while the pool holds volumes (the stack's own volume is deleted
// before its pool: every volume left is someone else's) or domains have
// disks in it: cloud-api-adaptor's pod VMs leak those (see package
// libvirt/leftovers), and the error lists them with the command that
// removes them.
func (*StoragePool) Delete(ctx context.Context, req infer.DeleteRequest[StoragePoolState]) (infer.DeleteResponse, error) {
	s := req.State
	if s.Adopted {
		p.GetLogger(ctx).Infof("storage pool %q was adopted: left in place", s.Name)
		return infer.DeleteResponse{}, nil
	}
	l, _, err := open(ctx, s.LegacyConnection)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer disconnect(ctx, l)
	pool, err := l.StoragePoolLookupByName(s.Name)
	if isNotFound(err) {
		return infer.DeleteResponse{}, nil
	}
	if err != nil {
		return infer.DeleteResponse{}, errorf(err, "looking up storage pool %q", s.Name)
	}
	c, err := connection(ctx, s.LegacyConnection)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	left, err := poolleft.Find(l, c.URI, poolleft.Pool{Name: s.Name})
	if err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("storage pool %q: looking for what is left in it before deleting it: %w", s.Name, err)
	}
	if len(left) > 0 {
		return infer.DeleteResponse{}, fmt.Errorf("storage pool %q was not deleted: it still holds %d object(s) the stack did not create, most likely pod VMs cloud-api-adaptor did not delete:\n%s\nthen destroy again",
			s.Name, len(left), common.Report(stackOf(ctx), left, true))
	}
	return infer.DeleteResponse{}, removePool(ctx, l, pool, s.CreatedDir)
}

// removePool stops and undefines pool; with removeDir, it also removes the
// pool's directory when it holds no volume.
func removePool(ctx context.Context, l *libvirt.Libvirt, pool libvirt.StoragePool, removeDir bool) error {
	log := p.GetLogger(ctx)
	state, _, _, _, err := l.StoragePoolGetInfo(pool)
	if err != nil {
		return errorf(err, "reading storage pool %q", pool.Name)
	}
	empty := false
	if state == uint8(libvirt.StoragePoolRunning) {
		if err := l.StoragePoolRefresh(pool, 0); err != nil {
			return errorf(err, "refreshing storage pool %q", pool.Name)
		}
		n, err := l.StoragePoolNumOfVolumes(pool)
		if err != nil {
			return errorf(err, "counting volumes of storage pool %q", pool.Name)
		}
		empty = n == 0
		if err := l.StoragePoolDestroy(pool); err != nil {
			return errorf(err, "stopping storage pool %q", pool.Name)
		}
	}
	switch {
	case removeDir && empty:
		if err := l.StoragePoolDelete(pool, libvirt.StoragePoolDeleteNormal); err != nil {
			log.Warningf("storage pool %q: directory left in place: %v", pool.Name, err)
		}
	case removeDir:
		log.Warningf("storage pool %q: directory left in place, it is not empty", pool.Name)
	}
	if err := l.StoragePoolUndefine(pool); err != nil {
		return errorf(err, "undefining storage pool %q", pool.Name)
	}
	return nil
}

func startPool(l *libvirt.Libvirt, pool libvirt.StoragePool) error {
	state, _, _, _, err := l.StoragePoolGetInfo(pool)
	if err != nil {
		return errorf(err, "reading storage pool %q", pool.Name)
	}
	if state == uint8(libvirt.StoragePoolRunning) {
		return nil
	}
	if err := l.StoragePoolCreate(pool, 0); err != nil {
		return errorf(err, "starting storage pool %q", pool.Name)
	}
	return nil
}

func poolPath(l *libvirt.Libvirt, pool libvirt.StoragePool) (string, error) {
	x, err := l.StoragePoolGetXMLDesc(pool, 0)
	if err != nil {
		return "", errorf(err, "reading storage pool %q", pool.Name)
	}
	var def libvirtxml.StoragePool
	if err := def.Unmarshal(x); err != nil {
		return "", err
	}
	if def.Target == nil {
		return "", nil
	}
	return def.Target.Path, nil
}

// readPool fills state with the pool as libvirt reports it.
func readPool(l *libvirt.Libvirt, pool libvirt.StoragePool, state StoragePoolState) (infer.CreateResponse[StoragePoolState], error) {
	path, err := poolPath(l, pool)
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, err
	}
	st, _, _, _, err := l.StoragePoolGetInfo(pool)
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, errorf(err, "reading storage pool %q", pool.Name)
	}
	auto, err := l.StoragePoolGetAutostart(pool)
	if err != nil {
		return infer.CreateResponse[StoragePoolState]{}, errorf(err, "reading storage pool %q", pool.Name)
	}
	state.Path = path
	state.Active = st == uint8(libvirt.StoragePoolRunning)
	state.Autostart = auto == 1
	state.UUID = formatUUID(pool.UUID)
	return infer.CreateResponse[StoragePoolState]{ID: pool.Name, Output: state}, nil
}

// dirExists reports whether dir exists on the libvirt host, by starting a
// transient dir pool on it (which, unlike building, creates nothing) and
// stopping it again.
func dirExists(l *libvirt.Libvirt, dir string) (bool, error) {
	name := fmt.Sprintf("peerpods-probe-%x", randomBytes(6))
	xml, err := (&libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: dir}}).Marshal()
	if err != nil {
		return false, err
	}
	probe, err := l.StoragePoolCreateXML(xml, 0)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "No such file or directory"):
			return false, nil
		case strings.Contains(msg, "Storage source conflict"):
			// Another pool uses dir: it exists.
			return true, nil
		case strings.Contains(msg, "Not a directory"):
			return false, fmt.Errorf("%s is not a directory on the host", dir)
		}
		return false, errorf(err, "checking %s on the host", dir)
	}
	if err := l.StoragePoolDestroy(probe); err != nil {
		return true, errorf(err, "stopping the probe pool %q", name)
	}
	return true, nil
}

func formatUUID(u libvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// WireDependencies keeps a legacy SSH private key secret in the state.
func (*StoragePool) WireDependencies(f infer.FieldSelector, _ *StoragePoolArgs, s *StoragePoolState) {
	f.OutputField(&s.PrivateKey).AlwaysSecret()
}
