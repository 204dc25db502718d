package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KvmHostAccess gives the peer-pods key pair access to a KVM host: it logs
// in once with a bootstrap credential, appends the public key to the
// user's ~/.ssh/authorized_keys (once; removed on delete), pins the host's
// SSH host key (trust on first use, or knownHostKey), and checks that
// libvirt answers over qemu+ssh with the new key.
type KvmHostAccess struct{}

// KvmHostAccessArgs are the inputs of a KvmHostAccess; their fields are
// those of settings.HostAccess, which they convert to for Check.
type KvmHostAccessArgs struct {
	// Host, Port and User address the KVM host's SSH server.
	Host string `pulumi:"host"`
	Port int    `pulumi:"port,optional"`
	User string `pulumi:"user,optional"`
	// Password and BootstrapPrivateKey are the credential used to install
	// the key; at least one is needed.
	Password            *string `pulumi:"password,optional" provider:"secret"`
	BootstrapPrivateKey *string `pulumi:"bootstrapPrivateKey,optional" provider:"secret"`
	// KnownHostKey pins the host key up front (known_hosts line or public
	// key); without it the key presented at first contact is pinned.
	KnownHostKey *string `pulumi:"knownHostKey,optional"`
	// PrivateKey is a key pair to install instead of a generated one.
	PrivateKey *string `pulumi:"privateKey,optional" provider:"secret"`
	// KeyType is the type of the generated key: rsa (4096 bits) or ed25519.
	KeyType string `pulumi:"keyType,optional"`
	// LibvirtSocket is libvirtd's socket on the host, when not the default.
	LibvirtSocket *string `pulumi:"libvirtSocket,optional"`
	// AllowedSources are the address ranges (CIDR) the key may log in
	// from: the from= of its authorized_keys line; none: from anywhere.
	AllowedSources []string `pulumi:"allowedSources,optional"`
}

// KvmHostAccessState is the state of a KvmHostAccess.
type KvmHostAccessState struct {
	Host string `pulumi:"host"`
	Port int    `pulumi:"port"`
	User string `pulumi:"user"`
	// Password and BootstrapPrivateKey are never stored: they are needed
	// only to install the key (Create, or Update when the key was found
	// missing) and are taken from the inputs then. The fields remain to
	// clear what state written by earlier versions holds.
	Password            *string `pulumi:"password,optional" provider:"secret"`
	BootstrapPrivateKey *string `pulumi:"bootstrapPrivateKey,optional" provider:"secret"`
	KnownHostKey        *string `pulumi:"knownHostKey,optional"`
	KeyType             string  `pulumi:"keyType"`
	LibvirtSocket       *string `pulumi:"libvirtSocket,optional"`
	// AllowedSources are the ranges the installed line's from= allows.
	AllowedSources []string `pulumi:"allowedSources,optional"`
	// KeyOptions are the options of the installed line (keyOptions);
	// empty in state written before them, whose line has none.
	KeyOptions string `pulumi:"keyOptions,optional"`
	// SuppliedKey is true when the key pair came from the privateKey input.
	SuppliedKey bool `pulumi:"suppliedKey"`

	// LibvirtURI is qemu+ssh://user@host[:port]/system, for LIBVIRT_URI.
	LibvirtURI string `pulumi:"libvirtUri"`
	// HostKey is the pinned host key as a known_hosts line.
	HostKey string `pulumi:"hostKey"`
	// PublicKey is the authorized_keys line installed (id_rsa.pub).
	PublicKey string `pulumi:"publicKey"`
	// PrivateKey is the key pair's private key (id_rsa).
	PrivateKey string `pulumi:"privateKey" provider:"secret"`
	// Marker names this resource's line in authorized_keys (its comment is
	// "peerpods:<marker>"); empty in state written before markers.
	Marker string `pulumi:"marker,optional"`
	// Installed is false when the key no longer lets us in.
	Installed bool `pulumi:"installed"`
	// LibvirtVersion is what libvirtd reported over qemu+ssh.
	LibvirtVersion string `pulumi:"libvirtVersion"`
}

// Annotate describes the resource and sets its token.
func (r *KvmHostAccess) Annotate(a infer.Annotator) {
	a.Describe(r, "SSH key access for peer pods to a KVM host's libvirtd, with a pinned host key.")
	a.SetToken(Module, "KvmHostAccess")
}

// Annotate describes the inputs.
func (a *KvmHostAccessArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Host, "KVM host name or address.")
	an.Describe(&a.Port, "SSH port.")
	an.SetDefault(&a.Port, 22)
	an.Describe(&a.User, "SSH user whose authorized_keys receives the key.")
	an.SetDefault(&a.User, "root")
	an.Describe(&a.Password, "Bootstrap password.")
	an.Describe(&a.BootstrapPrivateKey, "Bootstrap private key (an existing key the host accepts).")
	an.Describe(&a.KnownHostKey, "The host's SSH host key (known_hosts line or public key); default: trust on first use.")
	an.Describe(&a.PrivateKey, "Private key to install instead of generating one.")
	an.Describe(&a.KeyType, "Type of the generated key: rsa (4096 bits) or ed25519.")
	an.SetDefault(&a.KeyType, settings.KeyTypeRSA)
	an.Describe(&a.LibvirtSocket, "libvirtd's socket on the host, if not /var/run/libvirt/libvirt-sock.")
	an.Describe(&a.AllowedSources, "Address ranges (CIDR) the key may log in from (the from= of its authorized_keys line); default: anywhere.")
}

// Check validates the inputs that are known; unknown ones (in a preview)
// are returned unknown and checked once known.
func (*KvmHostAccess) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[KvmHostAccessArgs], error) {
	a, f, err := infer.DefaultCheck[KvmHostAccessArgs](ctx, req.NewInputs)
	if err != nil || len(f) > 0 {
		return infer.CheckResponse[KvmHostAccessArgs]{Inputs: a, Failures: f}, err
	}
	var fs failures
	fs.addErr(settings.CheckHostAccess(accessInputs, settings.HostAccess(a), unknownInputs(req.NewInputs)))
	return infer.CheckResponse[KvmHostAccessArgs]{Inputs: a, Failures: fs}, nil
}

// accessInputs names the problems of the resource's own Check: its input
// properties.
var accessInputs = settings.HostAccessNames{
	Host: "host", Port: "port", User: "user", Password: "password", BootstrapPrivateKey: "bootstrapPrivateKey",
	PrivateKey: "privateKey", KnownHostKey: "knownHostKey", KeyType: "keyType", LibvirtSocket: "libvirtSocket",
	AllowedSources: "allowedSources",
}

func (s KvmHostAccessState) addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Diff replaces the access when the host, port, user, key or pinned host
// key change; a new libvirtd socket is an update (the key's line does not
// depend on it); new bootstrap credentials are only recorded; a key that
// no longer works is installed again. An input unknown in a preview is
// reported as that change (see differ), not compared; the key type only
// counts for a generated key. New allowedSources, or a line installed
// before the key options, are an update of the line.
func (*KvmHostAccess) Diff(ctx context.Context, req infer.DiffRequest[KvmHostAccessArgs, KvmHostAccessState]) (infer.DiffResponse, error) {
	d := newDiffer(ctx)
	s, in := req.State, req.Inputs
	d.replace("host", s.Host != in.Host)
	d.replace("port", s.Port != in.Port)
	d.replace("user", s.User != in.User)
	d.replace("knownHostKey", deref(s.KnownHostKey) != deref(in.KnownHostKey))
	d.update("libvirtSocket", deref(s.LibvirtSocket) != deref(in.LibvirtSocket))
	d.update("allowedSources", s.KeyOptions != keyOptions(in.AllowedSources))
	switch {
	case !d.known("privateKey"):
		d.replace("privateKey", true)
	case in.PrivateKey != nil:
		d.replace("privateKey", !s.SuppliedKey || s.PrivateKey != *in.PrivateKey)
	default:
		d.replace("privateKey", s.SuppliedKey)
		d.replace("keyType", s.KeyType != in.KeyType)
	}
	// The bootstrap credentials are not compared: they are used only to
	// install the key. State of an earlier version that stored them is
	// updated to drop them.
	if s.Password != nil {
		d.set("password", p.Update)
	}
	if s.BootstrapPrivateKey != nil {
		d.set("bootstrapPrivateKey", p.Update)
	}
	if !s.Installed {
		d.set("installed", p.Update)
	}
	return d.response(false), nil
}

// Create installs the key pair and checks libvirt over qemu+ssh; if the
// check fails the key is removed again.
func (*KvmHostAccess) Create(ctx context.Context, req infer.CreateRequest[KvmHostAccessArgs]) (infer.CreateResponse[KvmHostAccessState], error) {
	in := req.Inputs
	s := KvmHostAccessState{
		Host: in.Host, Port: in.Port, User: in.User, KnownHostKey: in.KnownHostKey,
		KeyType: in.KeyType, LibvirtSocket: in.LibvirtSocket, SuppliedKey: in.PrivateKey != nil,
		AllowedSources: in.AllowedSources, KeyOptions: keyOptions(in.AllowedSources),
		LibvirtURI: settings.LibvirtURI(in.User, in.Host, in.Port, deref(in.LibvirtSocket)),
	}
	id := in.User + "@" + s.addr()
	if req.DryRun {
		return infer.CreateResponse[KvmHostAccessState]{ID: id, Output: s}, nil
	}
	var kp keyPair
	var err error
	if in.PrivateKey != nil {
		kp, err = parseKey(*in.PrivateKey)
	} else {
		kp, err = generateKey(in.KeyType)
	}
	if err != nil {
		return infer.CreateResponse[KvmHostAccessState]{}, err
	}
	s.PrivateKey, s.PublicKey = kp.Private, kp.Public
	if s.Marker, err = newMarker(); err != nil {
		return infer.CreateResponse[KvmHostAccessState]{}, err
	}
	line := keyLine(s.PublicKey, s.Marker, s.KeyOptions)

	client, hostKey, err := dialBootstrap(s, in.Password, in.BootstrapPrivateKey, deref(in.KnownHostKey))
	if err != nil {
		return infer.CreateResponse[KvmHostAccessState]{}, err
	}
	defer client.Close()
	s.HostKey = hostKey
	if in.KnownHostKey == nil {
		p.GetLogger(ctx).Infof("pinned the SSH host key of %s on first contact: %s", s.addr(), fingerprint(hostKey))
	}
	if err := checkSourceOf(client, s.AllowedSources); err != nil {
		return infer.CreateResponse[KvmHostAccessState]{}, err
	}
	if err := editAuthorizedKeys(client, "add", line); err != nil {
		return infer.CreateResponse[KvmHostAccessState]{}, fmt.Errorf("installing the key for %s: %w", id, err)
	}
	if err := checkLibvirt(&s); err != nil {
		if rerr := editAuthorizedKeys(client, "remove", line); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the key again: %w", rerr))
		}
		return infer.CreateResponse[KvmHostAccessState]{}, err
	}
	s.Installed = true
	return infer.CreateResponse[KvmHostAccessState]{ID: id, Output: s}, nil
}

// Read checks that the key still lets us in (to the pinned host).
func (*KvmHostAccess) Read(ctx context.Context, req infer.ReadRequest[KvmHostAccessArgs, KvmHostAccessState]) (infer.ReadResponse[KvmHostAccessArgs, KvmHostAccessState], error) {
	s := req.State
	client, err := dialWithKey(s)
	var authErr *authError
	switch {
	case errors.As(err, &authErr):
		s.Installed = false
	case err != nil:
		return infer.ReadResponse[KvmHostAccessArgs, KvmHostAccessState]{}, err
	default:
		client.Close()
		s.Installed = true
	}
	return infer.ReadResponse[KvmHostAccessArgs, KvmHostAccessState]{ID: req.ID, Inputs: req.Inputs, State: s}, nil
}

// Update installs the key again where it no longer works, with the
// bootstrap credential of the inputs, rewrites its line with new key
// options (the new line added before the old one is removed, logged in
// with the key itself while it works), checks libvirt behind a new
// socket, and drops credentials an earlier version stored.
func (*KvmHostAccess) Update(ctx context.Context, req infer.UpdateRequest[KvmHostAccessArgs, KvmHostAccessState]) (infer.UpdateResponse[KvmHostAccessState], error) {
	s := req.State
	s.Password, s.BootstrapPrivateKey = nil, nil
	newSocket := deref(s.LibvirtSocket) != deref(req.Inputs.LibvirtSocket)
	s.LibvirtSocket = req.Inputs.LibvirtSocket
	s.LibvirtURI = settings.LibvirtURI(s.User, s.Host, s.Port, deref(s.LibvirtSocket))
	oldLine := keyLine(s.PublicKey, s.Marker, s.KeyOptions)
	s.AllowedSources, s.KeyOptions = req.Inputs.AllowedSources, keyOptions(req.Inputs.AllowedSources)
	newLine := keyLine(s.PublicKey, s.Marker, s.KeyOptions)
	if req.DryRun || (s.Installed && !newSocket && oldLine == newLine) {
		return infer.UpdateResponse[KvmHostAccessState]{Output: s}, nil
	}
	var client *ssh.Client
	var err error
	switch {
	case !s.Installed:
		client, _, err = dialBootstrap(s, req.Inputs.Password, req.Inputs.BootstrapPrivateKey, s.HostKey)
	case oldLine != newLine:
		client, err = dialWithKey(s)
	}
	if err != nil {
		return infer.UpdateResponse[KvmHostAccessState]{}, err
	}
	if client != nil {
		defer client.Close()
		if err := checkSourceOf(client, s.AllowedSources); err != nil {
			return infer.UpdateResponse[KvmHostAccessState]{}, err
		}
		if err := editAuthorizedKeys(client, "add", newLine); err != nil {
			return infer.UpdateResponse[KvmHostAccessState]{}, fmt.Errorf("installing the key for %s@%s: %w", s.User, s.addr(), err)
		}
		if oldLine != newLine {
			if err := editAuthorizedKeys(client, "remove", oldLine); err != nil {
				return infer.UpdateResponse[KvmHostAccessState]{}, fmt.Errorf("removing the key's old line from %s@%s: %w", s.User, s.addr(), err)
			}
		}
	}
	if err := checkLibvirt(&s); err != nil {
		return infer.UpdateResponse[KvmHostAccessState]{}, err
	}
	s.Installed = true
	return infer.UpdateResponse[KvmHostAccessState]{Output: s}, nil
}

// checkSourceOf refuses allowed ranges that would lock out this program
// connected as c (checkSource).
func checkSourceOf(c *ssh.Client, allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	src, err := sourceAddress(c)
	if err != nil {
		return err
	}
	return checkSource(src, allowed)
}

// Delete removes this resource's line from authorized_keys, logging in
// with the key itself. When the key no longer logs in, nothing proves the
// line is gone (the user's sshd may refuse the key for another reason,
// and no bootstrap credential is kept): that is an error naming the host,
// the file and the line to remove by hand, and the way out of the state.
func (*KvmHostAccess) Delete(ctx context.Context, req infer.DeleteRequest[KvmHostAccessState]) (infer.DeleteResponse, error) {
	s := req.State
	client, err := dialWithKey(s)
	var authErr *authError
	if errors.As(err, &authErr) {
		return infer.DeleteResponse{}, fmt.Errorf("the key of %s@%s no longer logs in (%v), so its authorized_keys line cannot be removed from here, and it may still be there: "+
			"on %s, remove this line from ~%s/.ssh/authorized_keys if it is there: %s; "+
			"then drop this resource from the stack's state (pulumi state delete <its URN>) and run the delete again",
			s.User, s.addr(), authErr, s.Host, s.User, keyLine(s.PublicKey, s.Marker, s.KeyOptions))
	}
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer client.Close()
	if err := editAuthorizedKeys(client, "remove", keyLine(s.PublicKey, s.Marker, s.KeyOptions)); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("removing the key from %s@%s: %w", s.User, s.addr(), err)
	}
	return infer.DeleteResponse{}, nil
}

// authError is an SSH login refused by the server.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// hostKeyCallback pins want (a known_hosts line or public key); with want
// empty it accepts the first key and records it in *got.
func hostKeyCallback(addr, want string, got *string) (ssh.HostKeyCallback, error) {
	var pinned ssh.PublicKey
	if want != "" {
		k, err := settings.ParseHostKey(want)
		if err != nil {
			return nil, err
		}
		pinned = k
	}
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		if pinned != nil && !bytes.Equal(pinned.Marshal(), key.Marshal()) {
			return fmt.Errorf("the SSH host key of %s changed: pinned %s %s, presented %s %s; fix: if the host was reinstalled, verify the new key and set knownHostKey to it (this replaces the access)",
				addr, pinned.Type(), ssh.FingerprintSHA256(pinned), key.Type(), ssh.FingerprintSHA256(key))
		}
		*got = knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
		return nil
	}, nil
}

func dial(addr, user, wantHostKey string, auth []ssh.AuthMethod, what string) (*ssh.Client, string, error) {
	var got string
	cb, err := hostKeyCallback(addr, wantHostKey, &got)
	if err != nil {
		return nil, "", err
	}
	cfg := &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: cb, Timeout: conn.Timeout}
	if wantHostKey != "" {
		if k, err := settings.ParseHostKey(wantHostKey); err == nil {
			cfg.HostKeyAlgorithms = settings.HostKeyAlgorithms(k)
		}
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, "", &authError{fmt.Errorf("SSH login as %s@%s with %s was refused: %w", user, addr, what, err)}
		}
		return nil, "", fmt.Errorf("SSH to %s: %w", addr, err)
	}
	return c, got, nil
}

// dialBootstrap logs in with a bootstrap credential.
func dialBootstrap(s KvmHostAccessState, password, bootstrapKey *string, wantHostKey string) (*ssh.Client, string, error) {
	var auth []ssh.AuthMethod
	var what []string
	if k := deref(bootstrapKey); k != "" {
		signer, err := ssh.ParsePrivateKey([]byte(k))
		if err != nil {
			return nil, "", errors.New("bootstrapPrivateKey does not parse")
		}
		auth = append(auth, ssh.PublicKeys(signer))
		what = append(what, "the bootstrap key")
	}
	if pw := deref(password); pw != "" {
		auth = append(auth, ssh.Password(pw))
		what = append(what, "the password")
	}
	c, key, err := dial(s.addr(), s.User, wantHostKey, auth, strings.Join(what, " or "))
	var ae *authError
	if errors.As(err, &ae) {
		err = fmt.Errorf("%w; fix: check password/bootstrapPrivateKey", err)
	}
	return c, key, err
}

// dialWithKey logs in with the installed key, to the pinned host key.
func dialWithKey(s KvmHostAccessState) (*ssh.Client, error) {
	kp, err := parseKey(s.PrivateKey)
	if err != nil {
		return nil, err
	}
	c, _, err := dial(s.addr(), s.User, s.HostKey, []ssh.AuthMethod{ssh.PublicKeys(kp.signer)}, "the peer-pods key")
	return c, err
}

// checkLibvirt connects to libvirtd over qemu+ssh with the new key and the
// pinned host key, and records its version.
func checkLibvirt(s *KvmHostAccessState) error {
	l, err := conn.Open(s.LibvirtURI, conn.Credentials{PrivateKey: s.PrivateKey, HostKey: s.HostKey})
	if err != nil {
		return fmt.Errorf("libvirt does not answer over %s with the new key: %w", s.LibvirtURI, err)
	}
	defer l.Disconnect()
	v, err := l.ConnectGetLibVersion()
	if err != nil {
		return fmt.Errorf("libvirt over %s: %w", s.LibvirtURI, err)
	}
	s.LibvirtVersion = fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
	return nil
}

func fingerprint(line string) string {
	k, err := settings.ParseHostKey(line)
	if err != nil {
		return line
	}
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}

// WireDependencies keeps every credential secret in the state, generated
// ones included, and says which outputs an Update may change.
//
// Update may install the key again (installed, libvirtVersion), follows
// a new libvirtd socket (libvirtUri), rewrites the key's line for new
// allowedSources (allowedSources, keyOptions) and drops bootstrap credentials an
// earlier version stored; every other output changes only with a
// replacement (see Diff). So in the preview of an update hostKey and
// privateKey stay known, and so does the provider configuration they
// feed (peerpods:libvirt:PeerPods): without this, infer makes every
// output depend on every input (infer/resource.go, ensureDefaultComputed)
// and unknown in the preview of any update (markComputed), and the
// provider's configuration would not be known in the preview.
func (*KvmHostAccess) WireDependencies(f infer.FieldSelector, a *KvmHostAccessArgs, s *KvmHostAccessState) {
	f.OutputField(&s.PrivateKey).AlwaysSecret()
	f.OutputField(&s.Password).AlwaysSecret()
	f.OutputField(&s.BootstrapPrivateKey).AlwaysSecret()
	inputs := f.InputField(a).Computed()
	f.OutputField(&s.Installed).DependsOn(inputs)
	f.OutputField(&s.LibvirtVersion).DependsOn(inputs)
	f.OutputField(&s.LibvirtURI).DependsOn(f.InputField(&a.LibvirtSocket))
	f.OutputField(&s.AllowedSources).DependsOn(f.InputField(&a.AllowedSources))
	f.OutputField(&s.KeyOptions).DependsOn(f.InputField(&a.AllowedSources))
}
