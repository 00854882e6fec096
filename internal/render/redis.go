package render

import (
	"fmt"
	"net"
	"path"
	"strconv"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/tree"
)

// redisInstanceData is what one instance's redis.conf sees: the node's data
// plus the instance, its initial master split for the replicaof directive.
type redisInstanceData struct {
	Data
	Instance    plan.RedisInstance
	ReplicaHost string
	ReplicaPort int
}

// redisFiles adds the Redis and Sentinel files of a node: redis/<port>.conf
// per instance, redis/sentinel.conf, the container start script, the cluster
// create script on the node that creates the cluster, and their secrets.
func redisFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	r, s := d.Node.Redis, d.Node.Sentinel
	if r == nil && s == nil {
		return nil
	}
	if err := addFile(e, "tiers/redis/start.sh.tmpl", "redis/start.sh", d, t); err != nil {
		return err
	}
	if r != nil {
		for _, in := range r.Instances {
			if err := addRedisConf(e, d, in, t); err != nil {
				return err
			}
		}
		if r.Auth {
			if err := addSecret(e, "tiers/redis/redis-auth.conf.tmpl", "redis-auth.conf", d, values, t); err != nil {
				return err
			}
		}
		if r.Create != nil && len(r.Instances) > 0 {
			if err := addFile(e, "tiers/redis/redis-cluster-create.sh.tmpl", "redis-cluster-create.sh", d, t); err != nil {
				return err
			}
			if r.Auth {
				if err := addSecret(e, "tiers/redis/redis-cli.env.tmpl", "redis-cli.env", d, values, t); err != nil {
					return err
				}
			}
		}
	}
	if s != nil {
		if err := addFile(e, "tiers/redis/sentinel.conf.tmpl", "redis/sentinel.conf", d, t); err != nil {
			return err
		}
		if s.Auth {
			if err := addSecret(e, "tiers/redis/sentinel-auth.conf.tmpl", "sentinel-auth.conf", d, values, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// addRedisConf renders redis/<port>.conf of one instance.
func addRedisConf(e *Engine, d Data, in plan.RedisInstance, t *tree.Tree) error {
	id := redisInstanceData{Data: d, Instance: in}
	if in.ReplicaOf != "" {
		host, port, err := net.SplitHostPort(in.ReplicaOf)
		if err != nil {
			return fmt.Errorf("redis %d: replica of %q: %w", in.Port, in.ReplicaOf, err)
		}
		if id.ReplicaPort, err = strconv.Atoi(port); err != nil {
			return fmt.Errorf("redis %d: replica of %q: %w", in.Port, in.ReplicaOf, err)
		}
		id.ReplicaHost = host
	}
	out, err := e.Render("tiers/redis/redis.conf.tmpl", &id)
	if err != nil {
		return err
	}
	rel := path.Join("nodes", d.Node.Name, "redis", strconv.Itoa(in.Port)+".conf")
	return t.Add(tree.File{Path: rel, Data: out})
}
