package contract

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"
)

// Format is what the value of a key must look like. CAA's entrypoint.sh
// passes most values to flags unquoted (optionals+="-flag ${VALUE} "), so a
// value with white space would be split into several arguments: no format
// but Text and the credentials allows white space.
type Format struct {
	// Describe names a valid value, completing "set it to ...".
	Describe string
	check    func(string) error
}

// Check checks v; the error completes "<setting> ..." and never repeats a
// value that could be secret.
func (f Format) Check(v string) error {
	if f.check == nil {
		return nil
	}
	return f.check(v)
}

func format(describe string, check func(string) error) Format {
	return Format{Describe: describe, check: check}
}

func quoted(v string) string {
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return strconv.Quote(v)
}

// notWord refuses empty values and values with white space, which
// entrypoint.sh would split.
func notWord(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("is empty")
	case strings.ContainsFunc(v, unicode.IsSpace):
		return fmt.Errorf("is %s, which contains white space (cloud-api-adaptor's entrypoint.sh would split it)", quoted(v))
	}
	return nil
}

// Pattern is a single word matching re.
func Pattern(describe string, re *regexp.Regexp) Format {
	return format(describe, func(v string) error {
		if err := notWord(v); err != nil {
			return err
		}
		if !re.MatchString(v) {
			return fmt.Errorf("is %s, which is not %s", quoted(v), describe)
		}
		return nil
	})
}

// Word is any single word: not empty, no white space.
var Word = format("a value without white space", notWord)

// Text is any non-empty value.
var Text = format("a non-empty value", func(v string) error {
	if v == "" {
		return fmt.Errorf("is empty")
	}
	return nil
})

// Opaque is a secret credential: only its presence is checked here, and no
// error shows it.
var Opaque = format("the credential", func(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("is empty")
	}
	return nil
})

// IntRange is a whole number from min to max.
func IntRange(min, max int) Format {
	describe := fmt.Sprintf("a whole number from %d to %d", min, max)
	return format(describe, func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return fmt.Errorf("is %s, which is not %s", quoted(v), describe)
		}
		return nil
	})
}

// Port is a TCP/UDP port number.
var Port = IntRange(1, 65535)

// Bool is "true" or "false": entrypoint.sh turns a flag on only for the
// exact word true.
var Bool = format(`"true" or "false"`, func(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf(`is %s; entrypoint.sh only knows "true" (anything else means false)`, quoted(v))
	}
	return nil
})

// Duration is a Go duration above zero, as CAA's flag package parses it.
var Duration = format(`a positive duration such as "5m"`, func(v string) error {
	if err := notWord(v); err != nil {
		return err
	}
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		return fmt.Errorf("is %s, which is not a positive duration", quoted(v))
	}
	return nil
})

// OneOf is one of the values.
func OneOf(values ...string) Format {
	describe := "one of " + strings.Join(values, ", ")
	return format(describe, func(v string) error {
		if !slices.Contains(values, v) {
			return fmt.Errorf("is %s, which is not %s", quoted(v), describe)
		}
		return nil
	})
}

// CommaList is a comma-separated list of items, each of format item, no
// item twice.
func CommaList(item Format) Format {
	describe := "a comma-separated list of " + item.Describe
	return format(describe, func(v string) error {
		if err := notWord(v); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, it := range strings.Split(v, ",") {
			if err := item.Check(it); err != nil {
				return fmt.Errorf("has the item %s, which %s", quoted(it), strings.TrimPrefix(err.Error(), "is "+quoted(it)+", which "))
			}
			if seen[it] {
				return fmt.Errorf("lists %s twice", quoted(it))
			}
			seen[it] = true
		}
		return nil
	})
}

// KeyValueList is TAGS: key=value pairs joined by commas, possibly empty;
// keys not empty, no "=" or "," or white space in keys or values.
var KeyValueList = format("key=value pairs joined by commas (no white space, no extra = or ,)", func(v string) error {
	if v == "" {
		return nil
	}
	if strings.ContainsFunc(v, unicode.IsSpace) {
		return fmt.Errorf("is %s, which contains white space (cloud-api-adaptor's entrypoint.sh would split it)", quoted(v))
	}
	for _, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(pair, "=")
		if !ok || k == "" || strings.Contains(val, "=") {
			return fmt.Errorf("has %s, which is not a key=value pair", quoted(pair))
		}
	}
	return nil
})

// cloudName is the format of CLOUD_PROVIDER for cloud.
func cloudName(c Cloud) Format {
	return OneOf(string(c))
}

// UUID is a GUID, as Azure IDs of tenants, clients and subscriptions are.
var UUID = Pattern("a GUID", GUIDPattern)

// AzureID is an Azure resource ID of the given provider type, such as
// "Microsoft.Network/networkSecurityGroups".
func AzureID(describe, typ string) Format {
	re := regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/` + regexp.QuoteMeta(typ) + `/[^/]+(/.+)?$`)
	return Pattern(describe, re)
}

// ServiceAccountKey is a GCP service-account key file (JSON).
var ServiceAccountKey = format("a service-account key file (JSON with type service_account, client_email and private_key)", func(v string) error {
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(v), &key); err != nil || key.Type != "service_account" || key.ClientEmail == "" || key.PrivateKey == "" {
		return fmt.Errorf("is not a service-account key (JSON with type service_account, client_email and private_key)")
	}
	return nil
})

// LibvirtURI is a libvirt URI for CAA: qemu over ssh, tls, tcp or a local
// socket, never with no_verify (CAA's ssh client must check the host key
// it finds in known_hosts).
var LibvirtURI = format("a libvirt URI such as qemu+ssh://root@host/system, without no_verify", func(v string) error {
	if err := notWord(v); err != nil {
		return fmt.Errorf("is not a libvirt URI")
	}
	u, err := url.Parse(v)
	if err != nil || !slices.Contains([]string{"qemu", "qemu+ssh", "qemu+tls", "qemu+tcp", "qemu+unix", "qemu+libssh", "qemu+libssh2"}, u.Scheme) || u.Path == "" {
		return fmt.Errorf("is not a qemu libvirt URI")
	}
	if u.Query().Has("no_verify") {
		return fmt.Errorf("has no_verify, which turns off the SSH host key check")
	}
	return nil
})

// PrivateKey is an unencrypted SSH private key (OpenSSH or PEM).
var PrivateKey = format("an unencrypted SSH private key", func(v string) error {
	if _, err := ssh.ParsePrivateKey([]byte(v)); err != nil {
		return fmt.Errorf("is not an unencrypted SSH private key")
	}
	return nil
})

// PublicKey is an authorized_keys line.
var PublicKey = format("an SSH public key (authorized_keys line)", func(v string) error {
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(v)); err != nil {
		return fmt.Errorf("is not an SSH public key")
	}
	return nil
})

// KnownHosts is known_hosts lines: each host pattern with a key.
var KnownHosts = format("known_hosts lines (host pattern and key, [host]:port for a port other than 22)", func(v string) error {
	rest := []byte(v)
	n := 0
	for len(rest) > 0 {
		_, _, _, _, r, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			if n > 0 && strings.TrimSpace(string(rest)) == "" {
				break
			}
			return fmt.Errorf("is not known_hosts lines")
		}
		n++
		rest = r
	}
	if n == 0 {
		return fmt.Errorf("has no known_hosts line")
	}
	return nil
})
