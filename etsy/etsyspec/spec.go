// Package etsyspec checks HTTP traffic against Etsy's own OpenAPI description
// (openapi.json beside this file). The Etsy client's tests wrap their
// transport with it and the sandbox's tests wrap its handler with it, so both
// sides are held to the published contract rather than to each other.
package etsyspec

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi.json
var rawSpec []byte

// APIPrefix is the path prefix of every operation the description covers.
// Other Etsy paths (the OAuth token endpoint, the authorize page) are not in
// the description and are never validated.
const APIPrefix = "/v3/application/"

// ErrNoOperation is returned for a path under APIPrefix that matches no
// documented operation: calling it would be relying on undocumented API.
var ErrNoOperation = errors.New("etsyspec: no documented operation")

// Spec is the parsed description with a router that matches requests by path
// and method alone, whatever host they were sent to.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

// RequestError is a request that does not conform to the description.
type RequestError struct {
	Method, Path string
	Err          error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("etsyspec: request %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// ResponseError is a response that does not conform to the description.
type ResponseError struct {
	Method, Path string
	Status       int
	Err          error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("etsyspec: response %d to %s %s: %v", e.Status, e.Method, e.Path, e.Err)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// loadOnce parses the embedded description once per process: parsing takes a
// noticeable fraction of a second and the result is never modified afterwards.
var loadOnce = sync.OnceValues(parse)

// Load returns the parsed description. It is parsed once and shared; a Spec is
// read-only and safe for concurrent use.
func Load() (*Spec, error) { return loadOnce() }

// MustLoad is Load for tests and program start-up, where a broken embedded
// description is a build defect.
func MustLoad() *Spec {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

func parse() (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rawSpec)
	if err != nil {
		return nil, fmt.Errorf("etsyspec: parse openapi.json: %w", err)
	}
	// The description names openapi.etsy.com; clients and the sandbox talk to
	// other hosts (api.etsy.com, httptest servers). Without servers the router
	// matches on path alone.
	doc.Servers = nil
	commaSeparatedArrays(doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("etsyspec: build router: %w", err)
	}
	return &Spec{
		doc:    doc,
		router: router,
		opts: &openapi3filter.Options{
			// Credentials are the business of the server under test; the
			// description is used for shapes only.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}, nil
}

// Covers reports whether path is one the description is meant to cover.
func Covers(path string) bool { return strings.HasPrefix(path, APIPrefix) }

// OperationID names the documented operation r calls, or returns
// ErrNoOperation.
func (s *Spec) OperationID(r *http.Request) (string, error) {
	route, _, err := s.route(r)
	if err != nil {
		return "", err
	}
	return route.Operation.OperationID, nil
}

// Scopes lists the OAuth scopes an operation requires, in the order the
// description gives them; nil when it needs none or is unknown.
func (s *Spec) Scopes(operationID string) []string {
	for _, item := range s.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != operationID || op.Security == nil {
				continue
			}
			var scopes []string
			for _, req := range *op.Security {
				scopes = append(scopes, req["oauth2"]...)
			}
			return scopes
		}
	}
	return nil
}

func (s *Spec) route(r *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := s.router.FindRoute(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%w for %s %s: %v", ErrNoOperation, r.Method, r.URL.Path, err)
	}
	return route, params, nil
}

// ValidateRequest checks r (whose body has already been read into body)
// against the description. Paths outside APIPrefix are not checked.
func (s *Spec) ValidateRequest(r *http.Request, body []byte) error {
	if !Covers(r.URL.Path) {
		return nil
	}
	input, err := s.requestInput(r, body)
	if err != nil {
		return &RequestError{Method: r.Method, Path: r.URL.Path, Err: err}
	}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		return &RequestError{Method: r.Method, Path: r.URL.Path, Err: err}
	}
	return nil
}

// ValidateResponse checks a response to r against the description. An error
// status the operation does not describe must still be Etsy's error shape,
// a JSON object with a string "error".
func (s *Spec) ValidateResponse(r *http.Request, status int, header http.Header, body []byte) error {
	if !Covers(r.URL.Path) {
		return nil
	}
	fail := func(err error) error {
		return &ResponseError{Method: r.Method, Path: r.URL.Path, Status: status, Err: err}
	}
	input, err := s.requestInput(r, nil)
	if err != nil {
		return fail(err)
	}
	if input.Route.Operation.Responses.Status(status) == nil && input.Route.Operation.Responses.Default() == nil {
		if status < 400 {
			return fail(fmt.Errorf("status %d is not described", status))
		}
		if err := checkErrorShape(header, body); err != nil {
			return fail(err)
		}
		return nil
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                s.opts,
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// checkErrorShape accepts only Etsy's error shape, {"error": "<string>", ...}.
func checkErrorShape(header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("error response has content type %q, want application/json", ct)
	}
	var shape struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(body, &shape); err != nil {
		return fmt.Errorf("error response is not a JSON object: %w", err)
	}
	if shape.Error == nil {
		return errors.New(`error response has no string "error" field`)
	}
	return nil
}

func (s *Spec) requestInput(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := s.route(r)
	if err != nil {
		return nil, err
	}
	// The filter reads the body; give it its own copy so the caller's request
	// stays usable.
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    s.opts,
	}, nil
}

// commaSeparatedArrays declares what the description leaves to its default
// but Etsy does: arrays in the query are one comma-separated value
// (listing_ids=1,2,3, includes=Images,Inventory; see FACTS.md), the
// OpenAPI form style without explode. Left at the default (explode), a
// correct Etsy request would fail validation and a wrong one pass.
func commaSeparatedArrays(doc *openapi3.T) {
	no := false
	fix := func(params openapi3.Parameters) {
		for _, ref := range params {
			p := ref.Value
			if p == nil || p.In != openapi3.ParameterInQuery || p.Schema == nil || p.Schema.Value == nil ||
				!p.Schema.Value.Type.Is(openapi3.TypeArray) || p.Explode != nil {
				continue
			}
			p.Style, p.Explode = openapi3.SerializationForm, &no
		}
	}
	for _, item := range doc.Paths.Map() {
		fix(item.Parameters)
		for _, op := range item.Operations() {
			fix(op.Parameters)
		}
	}
}
