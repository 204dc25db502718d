package provider

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/components/check"
	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/image"
	poolleft "github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/libvirt/settings"
	"github.com/peerpods/provisioner/libvirt/upload"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"libvirt.org/go/libvirtxml"
)

// uploadSettle bounds the wait for libvirt's refresh after an upload.
const uploadSettle = 10 * time.Second

// StorageVolume is a volume in a storage pool, optionally filled from a
// local image file through a sparse StorageVolUpload stream. A changed
// image (SHA-256) replaces the volume.
type StorageVolume struct{}

// StorageVolumeArgs are the inputs of a StorageVolume.
type StorageVolumeArgs struct {
	// Pool is the storage pool's name.
	Pool string `pulumi:"pool"`
	// Name is the volume's name.
	Name string `pulumi:"name,optional"`
	// Format is qcow2 or raw; it must match the source image.
	Format string `pulumi:"format,optional"`
	// Capacity is the volume's (virtual) size in bytes; at least the
	// source image's virtual size, which is the default.
	Capacity *int `pulumi:"capacity,optional"`
	// Source is a local image file uploaded into the volume.
	Source *string `pulumi:"source,optional"`
}

// StorageVolumeState is the state of a StorageVolume.
type StorageVolumeState struct {
	StorageVolumeArgs
	LegacyConnection
	// SourceSha256 is the SHA-256 of the uploaded image.
	SourceSha256 string `pulumi:"sourceSha256"`
	// Key is libvirt's key of the volume: its path on the host.
	Key string `pulumi:"key"`
	// ActualCapacity and Allocation are the volume's sizes as last read.
	ActualCapacity int `pulumi:"actualCapacity"`
	Allocation     int `pulumi:"allocation"`
	// ActualFormat is the format libvirt detects.
	ActualFormat string `pulumi:"actualFormat"`
}

// Annotate describes the resource and sets its token.
func (r *StorageVolume) Annotate(a infer.Annotator) {
	a.Describe(r, "A libvirt storage volume holding the peer-pods pod VM image.")
	a.SetToken(Module, "StorageVolume")
}

// Annotate describes the inputs.
func (a *StorageVolumeArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Pool, "Name of the storage pool.")
	an.Describe(&a.Name, "Volume name.")
	an.SetDefault(&a.Name, settings.DefaultVolumeName)
	an.Describe(&a.Format, "Volume format: qcow2 or raw; must match the source image.")
	an.SetDefault(&a.Format, image.QCOW2)
	an.Describe(&a.Capacity, "Virtual size in bytes; at least, and by default, the source image's.")
	an.Describe(&a.Source, "Local image file uploaded into the volume (sparse: holes are not sent).")
}

// resourceSettings names the problems of CheckSource in the resource's
// own Check: its input properties.
var resourceSettings = settings.SourceNames{Source: "source", Format: "format", Capacity: "capacity"}

// Check validates the inputs that are known, the image included, before
// anything is created; unknown ones (in a preview) are returned unknown
// and checked once known.
func (*StorageVolume) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[StorageVolumeArgs], error) {
	var fs failures
	inputs := checkConnected(ctx, &fs, req.NewInputs)
	args, f, err := infer.DefaultCheck[StorageVolumeArgs](ctx, inputs)
	if err != nil || len(f) > 0 {
		return infer.CheckResponse[StorageVolumeArgs]{Inputs: args, Failures: append(fs, f...)}, err
	}
	u := unknownInputs(inputs)
	fs.addKnown(u, "pool", func() error { return check.Name("pool", args.Pool) })
	fs.addKnown(u, "name", func() error { return check.Name("name", args.Name) })
	fs.addKnown(u, "format", func() error { return settings.CheckFormat("format", args.Format) })
	capacity := args.Capacity
	if u["capacity"] {
		capacity = nil
	} else if capacity != nil && *capacity <= 0 {
		fs.add("capacity", fmt.Sprintf("is %d, not a positive number of bytes", *capacity))
	}
	switch {
	case u["source"]:
		// Checked once known.
	case args.Source != nil && len(fs) == 0:
		// An unknown format or capacity is not compared with the image.
		format := args.Format
		if u["format"] {
			format = ""
		}
		_, err := settings.CheckSource(resourceSettings, *args.Source, format, capacity)
		fs.addErr(err)
	case args.Source == nil && args.Capacity == nil && !u["capacity"]:
		fs.add("capacity", "is needed for a volume without source image; fix: set capacity (bytes) or source")
	}
	return infer.CheckResponse[StorageVolumeArgs]{Inputs: args, Failures: fs}, nil
}

// Diff replaces the volume when its pool, name, format, shrinking capacity
// or the image content (SHA-256) change; a larger capacity is an update
// (resize), and so is dropping a legacy connection (see legacyDiff). An
// input unknown in a preview is reported as that change (see differ), not
// compared: an unknown capacity as a replacement, since it may shrink.
// Which host the volume lives on is the provider's configuration
// (Config.Diff).
func (*StorageVolume) Diff(ctx context.Context, req infer.DiffRequest[StorageVolumeArgs, StorageVolumeState]) (infer.DiffResponse, error) {
	d := newDiffer(ctx)
	s, in := req.State, req.Inputs
	if err := legacyDiff(ctx, d, s.LegacyConnection); err != nil {
		return infer.DiffResponse{}, err
	}
	d.replace("pool", s.Pool != in.Pool)
	d.replace("name", s.Name != in.Name)
	d.replace("format", s.Format != in.Format)
	d.replace("source", deref(s.Source) != deref(in.Source))
	if d.known("source") && in.Source != nil && deref(s.Source) == *in.Source {
		sum, err := image.SHA256(*in.Source)
		if err != nil {
			return infer.DiffResponse{}, err
		}
		d.replace("sourceSha256", sum != s.SourceSha256)
	}
	switch c := deref(in.Capacity); {
	case !d.known("capacity"):
		d.replace("capacity", true)
	case in.Capacity != nil && c < s.ActualCapacity:
		d.set("capacity", p.UpdateReplace)
	case in.Capacity != nil && c > s.ActualCapacity:
		d.set("capacity", p.Update)
	}
	return d.response(true), nil
}

// Create creates the volume and uploads the image into it; on any failure
// the volume is deleted again. A preview returns at once: Check has read
// a known image already, and the source may be unknown.
func (*StorageVolume) Create(ctx context.Context, req infer.CreateRequest[StorageVolumeArgs]) (infer.CreateResponse[StorageVolumeState], error) {
	in := req.Inputs
	state := StorageVolumeState{StorageVolumeArgs: in}
	id := in.Pool + "/" + in.Name
	if req.DryRun {
		// infer makes the outputs that are not inputs (sourceSha256, key,
		// ...) unknown in a preview of a create (infer/resource.go,
		// markComputed).
		return infer.CreateResponse[StorageVolumeState]{ID: id, Output: state}, nil
	}
	var info image.Info
	if in.Source != nil {
		var err error
		if info, err = settings.CheckSource(resourceSettings, *in.Source, in.Format, in.Capacity); err != nil {
			return infer.CreateResponse[StorageVolumeState]{}, err
		}
		if state.SourceSha256, err = image.SHA256(*in.Source); err != nil {
			return infer.CreateResponse[StorageVolumeState]{}, err
		}
	}
	l, c, err := open(ctx, LegacyConnection{})
	if err != nil {
		return infer.CreateResponse[StorageVolumeState]{}, err
	}
	defer disconnect(ctx, l)
	pool, err := l.StoragePoolLookupByName(in.Pool)
	if err != nil {
		return infer.CreateResponse[StorageVolumeState]{}, onHost(c, errorf(err, "storage pool %q", in.Pool))
	}
	// A volume of this name is replaced only when this resource's create
	// marker proves that an interrupted create of it made the volume
	// (marker.go); any other is a name clash, left untouched.
	marker := markerName(in.Name, urnHash(urnOf(ctx)))
	marked, err := hasMarker(l, pool, marker)
	if err != nil {
		return infer.CreateResponse[StorageVolumeState]{}, onHost(c, errorf(err, "looking up the create marker %s in pool %q", marker, in.Pool))
	}
	if old, err := l.StorageVolLookupByName(pool, in.Name); err == nil {
		if !marked {
			return infer.CreateResponse[StorageVolumeState]{}, fmt.Errorf("storage volume %q already exists in pool %q, and nothing proves this stack made it (no create marker %s of %s): it was left untouched; fix: if it is what an interrupted run of this stack left, delete it (virsh vol-delete --pool %s %s), else set another volume name",
				in.Name, in.Pool, marker, urnOf(ctx), in.Pool, in.Name)
		}
		p.GetLogger(ctx).Warningf("storage volume %s/%s is what an interrupted create of this resource left (its create marker %s proves it): it is made again", in.Pool, in.Name, marker)
		if err := l.StorageVolDelete(old, 0); err != nil {
			return infer.CreateResponse[StorageVolumeState]{}, onHost(c, errorf(err, "deleting the half-made storage volume %s", id))
		}
	}
	if marked {
		// The volume it proved is gone: a new marker follows the new volume.
		if err := dropMarker(l, pool, marker); err != nil {
			return infer.CreateResponse[StorageVolumeState]{}, onHost(c, errorf(err, "deleting the create marker %s in pool %q", marker, in.Pool))
		}
	}

	// With an image, the volume starts as an empty sparse raw file of the
	// image's length, so that the image's holes read as zeros; libvirt
	// detects the image's own format when the upload ends.
	def := libvirtxml.StorageVolume{
		Name:       in.Name,
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: in.Format}},
	}
	if in.Source != nil {
		def.Capacity = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: uint64(info.Size)}
		def.Target.Format.Type = image.Raw
	} else {
		def.Capacity = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: uint64(*in.Capacity)}
	}
	xml, err := def.Marshal()
	if err != nil {
		return infer.CreateResponse[StorageVolumeState]{}, err
	}
	vol, err := l.StorageVolCreateXML(pool, xml, 0)
	if err != nil {
		return infer.CreateResponse[StorageVolumeState]{}, onHost(c, errorf(err, "creating storage volume %q in pool %q", in.Name, in.Pool))
	}
	undo := func(cause error) (infer.CreateResponse[StorageVolumeState], error) {
		cause = onHost(c, cause)
		err := removeHalfMade(l, c, vol, in, marker)
		if err == nil {
			return infer.CreateResponse[StorageVolumeState]{}, cause
		}
		// The volume stays (libvirtd restarted, the connection is gone):
		// it is recorded, without a content hash, so that the next up
		// replaces it instead of finding a name taken.
		partial := StorageVolumeState{StorageVolumeArgs: in, Key: vol.Key}
		return infer.CreateResponse[StorageVolumeState]{ID: id, Output: partial}, infer.ResourceInitFailedError{Reasons: []string{
			cause.Error(),
			fmt.Sprintf("the half-written volume %s could not be removed (%v): it is recorded in the state and replaced by the next up", id, onHost(c, err)),
		}}
	}
	// The marker follows the volume, before the upload: see marker.go.
	if err := makeMarker(l, pool, marker); err != nil {
		return undo(errorf(err, "creating the create marker %s in pool %q", marker, in.Pool))
	}
	if in.Source != nil {
		if err := uploadImage(ctx, c, in, info); err != nil {
			return undo(err)
		}
		// libvirt detects the uploaded image's format in a pool refresh it
		// runs in the background once the upload stream closes (and refuses
		// an explicit refresh while that job counts). Until then it takes
		// the volume for raw: a resize would only truncate the file. Wait,
		// bounded, for the detection.
		// (Past the bound, as before, the volume is taken as it reads.)
		settle := backoff.Backoff{First: 20 * time.Millisecond, Max: time.Second, Bound: uploadSettle}
		if _, err := backoff.Poll(context.WithoutCancel(ctx), settle, nil, func(context.Context) (bool, error) {
			err := readVolume(l, vol, &state)
			return state.ActualFormat == in.Format, err
		}); err != nil {
			return undo(err)
		}
		if in.Capacity != nil && int64(*in.Capacity) > info.VirtualSize {
			if err := l.StorageVolResize(vol, uint64(*in.Capacity), 0); err != nil {
				return undo(errorf(err, "resizing storage volume %s", id))
			}
		}
	}
	if err := readVolume(l, vol, &state); err != nil {
		return undo(err)
	}
	if state.ActualFormat != in.Format {
		return undo(fmt.Errorf("storage volume %s: libvirt sees format %q, not %q", id, state.ActualFormat, in.Format))
	}
	if err := dropMarker(l, pool, marker); err != nil {
		// The volume is made; Delete removes the marker with it.
		p.GetLogger(ctx).Warningf("the create marker %s in pool %q could not be deleted: %v", marker, in.Pool, onHost(c, err))
	}
	return infer.CreateResponse[StorageVolumeState]{ID: id, Output: state}, nil
}

// removeHalfMade deletes a volume whose create failed, and then its
// create marker, on the connection it was made on or, when that one is
// gone (libvirtd restarted), on a new one.
func removeHalfMade(l *libvirt.Libvirt, c Config, vol libvirt.StorageVol, in StorageVolumeArgs, marker string) error {
	err := l.StorageVolDelete(vol, 0)
	if err == nil {
		if pool, err := l.StoragePoolLookupByName(in.Pool); err == nil {
			_ = dropMarker(l, pool, marker) // left, it proves nothing: no volume
		}
		return nil
	}
	l2, err2 := conn.Open(c.URI, c.credentials())
	if err2 != nil {
		return errors.Join(err, err2)
	}
	defer l2.Disconnect()
	pool, err2 := l2.StoragePoolLookupByName(in.Pool)
	if err2 != nil {
		return errors.Join(err, err2)
	}
	v, err2 := l2.StorageVolLookupByName(pool, in.Name)
	if err2 == nil {
		err2 = l2.StorageVolDelete(v, 0)
	}
	if err2 != nil && !isNotFound(err2) {
		return errors.Join(err, err2)
	}
	_ = dropMarker(l2, pool, marker)
	return nil
}

// onHost names the libvirt host in an error of an operation on it.
func onHost(c Config, err error) error {
	if err == nil || c.URI == "" {
		return err
	}
	return fmt.Errorf("%w (libvirt at %s)", err, settings.Redact(c.URI))
}

// uploadImage streams the image into the volume, logging progress.
func uploadImage(ctx context.Context, c Config, in StorageVolumeArgs, info image.Info) error {
	log := p.GetLogger(ctx)
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	log.Infof("uploading %s (%.0f MiB) into %s/%s", info.Path, mib(info.Size), in.Pool, in.Name)
	st, err := upload.File(ctx, c.URI, c.credentials(), in.Pool, in.Name, info.Path, func(done, holes, total int64) {
		log.InfoStatusf("uploading %s: %.0f of %.0f MiB (%.0f MiB holes skipped)", filepath.Base(info.Path), mib(done), mib(total), mib(holes))
	})
	if err != nil {
		return err
	}
	log.Infof("uploaded %s: %.0f MiB sent, %.0f MiB of holes skipped", info.Path, mib(st.Sent), mib(st.Holes))
	return nil
}

// Read reports the volume as it is, or gone.
func (*StorageVolume) Read(ctx context.Context, req infer.ReadRequest[StorageVolumeArgs, StorageVolumeState]) (infer.ReadResponse[StorageVolumeArgs, StorageVolumeState], error) {
	s := req.State
	l, c, err := open(ctx, s.LegacyConnection)
	if err != nil {
		return infer.ReadResponse[StorageVolumeArgs, StorageVolumeState]{}, err
	}
	defer disconnect(ctx, l)
	vol, err := lookupVolume(l, s.Pool, s.Name)
	if isNotFound(err) {
		return infer.ReadResponse[StorageVolumeArgs, StorageVolumeState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[StorageVolumeArgs, StorageVolumeState]{}, onHost(c, errorf(err, "looking up storage volume %s/%s", s.Pool, s.Name))
	}
	if err := readVolume(l, vol, &s); err != nil {
		return infer.ReadResponse[StorageVolumeArgs, StorageVolumeState]{}, onHost(c, err)
	}
	return infer.ReadResponse[StorageVolumeArgs, StorageVolumeState]{ID: req.ID, Inputs: req.Inputs, State: s}, nil
}

// Update grows the volume and drops a legacy connection from the state;
// the image is never uploaded again.
func (*StorageVolume) Update(ctx context.Context, req infer.UpdateRequest[StorageVolumeArgs, StorageVolumeState]) (infer.UpdateResponse[StorageVolumeState], error) {
	s := req.State
	s.StorageVolumeArgs = req.Inputs
	s.LegacyConnection = LegacyConnection{}
	if req.DryRun {
		return infer.UpdateResponse[StorageVolumeState]{Output: s}, nil
	}
	l, _, err := open(ctx, req.State.LegacyConnection)
	if err != nil {
		return infer.UpdateResponse[StorageVolumeState]{}, err
	}
	defer disconnect(ctx, l)
	vol, err := lookupVolume(l, s.Pool, s.Name)
	if err != nil {
		return infer.UpdateResponse[StorageVolumeState]{}, err
	}
	if c := deref(req.Inputs.Capacity); req.Inputs.Capacity != nil && c > req.State.ActualCapacity {
		if err := l.StorageVolResize(vol, uint64(c), 0); err != nil {
			return infer.UpdateResponse[StorageVolumeState]{}, errorf(err, "resizing storage volume %s/%s", s.Pool, s.Name)
		}
	}
	err = readVolume(l, vol, &s)
	return infer.UpdateResponse[StorageVolumeState]{Output: s}, err
}

// Delete removes the volume.
func (*StorageVolume) Delete(ctx context.Context, req infer.DeleteRequest[StorageVolumeState]) (infer.DeleteResponse, error) {
	s := req.State
	l, c, err := open(ctx, s.LegacyConnection)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer disconnect(ctx, l)
	vol, err := lookupVolume(l, s.Pool, s.Name)
	if isNotFound(err) {
		return infer.DeleteResponse{}, nil
	}
	if err != nil {
		return infer.DeleteResponse{}, onHost(c, errorf(err, "looking up storage volume %s/%s", s.Pool, s.Name))
	}
	// cloud-api-adaptor's pod VM disks are qcow2 overlays on this volume
	// (its libvirt CreateDomain): with pod VMs of it left, deleting the
	// volume would break them, and the pool's refusal would come too late.
	left, err := poolleft.Find(l, c.URI, poolleft.Pool{Name: s.Pool, Keep: []string{s.Name}, Shared: true})
	if err != nil {
		return infer.DeleteResponse{}, onHost(c, fmt.Errorf("storage volume %s/%s: looking for cloud-api-adaptor's pod VMs before deleting it: %w", s.Pool, s.Name, err))
	}
	if len(left) > 0 {
		return infer.DeleteResponse{}, fmt.Errorf("storage volume %s/%s was not deleted: cloud-api-adaptor's pod VMs built on it are left in the pool:\n%s\nthen destroy again",
			s.Pool, s.Name, common.Report(stackOf(ctx), left, true))
	}
	if err := l.StorageVolDelete(vol, 0); err != nil {
		return infer.DeleteResponse{}, onHost(c, errorf(err, "deleting storage volume %s/%s", s.Pool, s.Name))
	}
	// A create marker left by a create that could not remove it.
	if pool, err := l.StoragePoolLookupByName(s.Pool); err == nil {
		_ = dropMarker(l, pool, markerName(s.Name, urnHash(urnOf(ctx))))
	}
	return infer.DeleteResponse{}, nil
}

func lookupVolume(l *libvirt.Libvirt, pool, name string) (libvirt.StorageVol, error) {
	pl, err := l.StoragePoolLookupByName(pool)
	if err != nil {
		return libvirt.StorageVol{}, err
	}
	return l.StorageVolLookupByName(pl, name)
}

// readVolume fills the observed fields of s.
func readVolume(l *libvirt.Libvirt, vol libvirt.StorageVol, s *StorageVolumeState) error {
	x, err := l.StorageVolGetXMLDesc(vol, 0)
	if err != nil {
		return errorf(err, "reading storage volume %q", vol.Name)
	}
	var def libvirtxml.StorageVolume
	if err := def.Unmarshal(x); err != nil {
		return err
	}
	s.Key = vol.Key
	if def.Capacity != nil {
		s.ActualCapacity = int(def.Capacity.Value)
	}
	if def.Allocation != nil {
		s.Allocation = int(def.Allocation.Value)
	}
	if def.Target != nil && def.Target.Format != nil {
		s.ActualFormat = def.Target.Format.Type
	}
	return nil
}

// WireDependencies keeps a legacy SSH private key secret in the state.
func (*StorageVolume) WireDependencies(f infer.FieldSelector, _ *StorageVolumeArgs, s *StorageVolumeState) {
	f.OutputField(&s.PrivateKey).AlwaysSecret()
}
