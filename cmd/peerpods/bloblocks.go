package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"path"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// DIY backends
	"gocloud.dev/gcerrors"
)

// blobBackend reports whether backend is a DIY backend in S3 (s3://),
// whose locks peerpods reads as Pulumi's DIY backend does
// (gocloud.dev/blob). The other object stores (azblob://, gs://) are
// not: their locks are left to the engine's refusal and pulumi cancel.
func blobBackend(backend string) bool {
	u, err := url.Parse(backend)
	return err == nil && u.Scheme == "s3"
}

// blobLocks returns the locks of the stack in the DIY backend at the
// object store URL backend, each with its remove, and a close of the
// bucket. The bucket is opened as pulumi/pkg/v3 backend/diy/backend.go
// newDIYBackend does: the URL as given, its path a prefix of every key;
// the locks are the keys under .pulumi/locks/<org>/<project>/<stack>/
// (backend/diy/lock.go, stackLockDir), or .pulumi/locks/<stack>/ in a
// backend without projects.
func blobLocks(ctx context.Context, backend, project, stack string) ([]diyLock, func(), error) {
	u, err := url.Parse(backend)
	if err != nil {
		return nil, nil, err
	}
	b, err := blob.OpenBucket(ctx, backend)
	if err != nil {
		return nil, nil, err
	}
	if sub := strings.Trim(u.Path, "/"); sub != "" {
		b = blob.PrefixedBucket(b, sub+"/")
	}
	closeBucket := func() { _ = b.Close() }
	var locks []diyLock
	it := b.List(&blob.ListOptions{Prefix: ".pulumi/locks/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			closeBucket()
			return nil, nil, err
		}
		if obj.IsDir || !lockOf(obj.Key, project, stack) {
			continue
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if gcerrors.Code(err) == gcerrors.NotFound {
			continue // released meanwhile
		}
		if err != nil {
			closeBucket()
			return nil, nil, err
		}
		var l diyLock
		_ = json.Unmarshal(data, &l)
		key := obj.Key
		l.path = u.Scheme + "://" + u.Host + "/" + path.Join(strings.Trim(u.Path, "/"), key)
		l.drop = func() error {
			if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return err
			}
			return nil
		}
		locks = append(locks, l)
	}
	return locks, closeBucket, nil
}

// lockOf reports whether key is a lock file of the stack.
func lockOf(key, project, stack string) bool {
	parts := strings.Split(strings.TrimPrefix(key, ".pulumi/locks/"), "/")
	if !strings.HasSuffix(key, ".json") {
		return false
	}
	switch len(parts) {
	case 4: // <org>/<project>/<stack>/<id>.json
		return parts[1] == project && parts[2] == stack
	case 2: // <stack>/<id>.json
		return parts[0] == stack
	}
	return false
}
