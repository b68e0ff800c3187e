// Command checker verifies spamx transparency artefacts with the Go reference implementation
// (golang.org/x/mod/sumdb/note and sumdb/tlog). It reads one JSON job on stdin and prints one
// JSON result: which checks passed and the first error of each that failed. Built by
// test/integration/go-interop.test.ts with GO111MODULE=off GOPATH=/usr/share/gocode.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index    int64    `json:"index"`
	LeafHash string   `json:"leafHash"`
	Proof    []string `json:"proof"`
}

type consistency struct {
	From     int64    `json:"from"`
	FromRoot string   `json:"fromRoot"`
	Proof    []string `json:"proof"`
}

type job struct {
	VerifierKey string        `json:"verifierKey"`
	Note        string        `json:"note"`
	Size        int64         `json:"size"`
	Root        string        `json:"root"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type result struct {
	NoteText    string   `json:"noteText"`
	NoteError   string   `json:"noteError"`
	Inclusion   []string `json:"inclusion"`
	Consistency []string `json:"consistency"`
}

func hash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return h, err
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("hash is %d bytes", len(b))
	}
	copy(h[:], b)
	return h, nil
}

func hashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(list))
	for _, s := range list {
		h, err := hash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	var j job
	if err := json.NewDecoder(os.Stdin).Decode(&j); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var r result
	if j.Note != "" {
		v, err := note.NewVerifier(j.VerifierKey)
		if err == nil {
			var n *note.Note
			n, err = note.Open([]byte(j.Note), note.VerifierList(v))
			if err == nil {
				r.NoteText = n.Text
			}
		}
		r.NoteError = errText(err)
	}
	root, rootErr := hash(j.Root)
	for _, in := range j.Inclusion {
		err := rootErr
		if err == nil {
			var leaf tlog.Hash
			var proof []tlog.Hash
			if leaf, err = hash(in.LeafHash); err == nil {
				if proof, err = hashes(in.Proof); err == nil {
					err = tlog.CheckRecord(tlog.RecordProof(proof), j.Size, root, in.Index, leaf)
				}
			}
		}
		r.Inclusion = append(r.Inclusion, errText(err))
	}
	for _, c := range j.Consistency {
		err := rootErr
		if err == nil {
			var old tlog.Hash
			var proof []tlog.Hash
			if old, err = hash(c.FromRoot); err == nil {
				if proof, err = hashes(c.Proof); err == nil {
					err = tlog.CheckTree(tlog.TreeProof(proof), j.Size, root, c.From, old)
				}
			}
		}
		r.Consistency = append(r.Consistency, errText(err))
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(2)
	}
}
