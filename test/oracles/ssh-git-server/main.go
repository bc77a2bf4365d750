// ssh-git-server: a small SSH server for FluxOps' integration tests, built on golang.org/x/crypto/ssh
// (the library behind the built-in SSH servers of Gitea and Forgejo). It accepts public-key
// authentication against an authorized_keys file only, and serves `git-upload-pack` and
// `git-receive-pack` for bare repositories under -root, passing GIT_PROTOCOL on (protocol v2).
//
//	ssh-git-server -listen 127.0.0.1:0 -host-key host_ed25519 -authorized-keys authorized_keys -root /srv/git
//
// With -slow-file, each command waits a second while that file exists.
//
// It prints "listening on <addr>" on stdout once it accepts connections, and one line per
// authentication attempt and command on stderr.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

var slowFile string

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	hostKeyFile := flag.String("host-key", "", "private host key file")
	authorizedKeysFile := flag.String("authorized-keys", "", "authorized_keys file")
	root := flag.String("root", "", "directory holding the bare repositories")
	flag.StringVar(&slowFile, "slow-file", "", "while this file exists, wait a second before running each command (tests watch the client meanwhile)")
	flag.Parse()
	log.SetFlags(0)

	hostKeyPEM, err := os.ReadFile(*hostKeyFile)
	check(err)
	hostKey, err := ssh.ParsePrivateKey(hostKeyPEM)
	check(err)
	authorized := map[string]bool{}
	data, err := os.ReadFile(*authorizedKeysFile)
	check(err)
	for len(bytes.TrimSpace(data)) > 0 {
		key, _, _, rest, err := ssh.ParseAuthorizedKey(data)
		check(err)
		authorized[string(key.Marshal())] = true
		data = rest
	}
	config := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			ok := authorized[string(key.Marshal())]
			log.Printf("auth user=%s key=%s accepted=%v", meta.User(), ssh.FingerprintSHA256(key), ok)
			if !ok {
				return nil, fmt.Errorf("unknown key")
			}
			return &ssh.Permissions{}, nil
		},
	}
	config.AddHostKey(hostKey)

	if !strings.HasPrefix(*listen, "127.0.0.1:") {
		log.Fatalf("refusing to listen on %s: loopback only", *listen)
	}
	ln, err := net.Listen("tcp", *listen)
	check(err)
	fmt.Printf("listening on %s\n", ln.Addr())
	os.Stdout.Sync()
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(conn, config, *root)
	}
}

func serve(conn net.Conn, config *ssh.ServerConfig, root string) {
	defer conn.Close()
	sconn, chans, reqs, err := ssh.NewServerConn(conn, config)
	if err != nil {
		log.Printf("handshake: %v", err)
		return
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			continue
		}
		go session(ch, requests, root)
	}
}

func session(ch ssh.Channel, requests <-chan *ssh.Request, root string) {
	defer ch.Close()
	env := []string{}
	for req := range requests {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL" {
				env = append(env, "GIT_PROTOCOL="+kv.Value)
			}
			req.Reply(true, nil)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			code := run(ch, cmd.Command, env, root)
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, uint32(code))
			ch.SendRequest("exit-status", false, status)
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// run executes `git-upload-pack '<path>'` or `git-receive-pack '<path>'` for a repository under root.
func run(ch ssh.Channel, command string, env []string, root string) int {
	log.Printf("exec %q env=%v", command, env)
	if slowFile != "" {
		if _, err := os.Stat(slowFile); err == nil {
			time.Sleep(time.Second)
		}
	}
	verb, arg, ok := strings.Cut(command, " ")
	if !ok || (verb != "git-upload-pack" && verb != "git-receive-pack") {
		fmt.Fprintf(ch.Stderr(), "fatal: unsupported command\n")
		return 128
	}
	arg = strings.Trim(arg, "'")
	repo := filepath.Join(root, filepath.Clean("/"+arg))
	if _, err := os.Stat(filepath.Join(repo, "HEAD")); err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: '%s' does not appear to be a git repository\n", arg)
		return 128
	}
	c := exec.Command("git", strings.TrimPrefix(verb, "git-"), repo)
	c.Env = append(os.Environ(), env...)
	c.Stdin = ch
	c.Stdout = ch
	c.Stderr = ch.Stderr()
	err := c.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	return 0
}

func check(err error) {
	if err != nil && err != io.EOF {
		log.Fatal(err)
	}
}
