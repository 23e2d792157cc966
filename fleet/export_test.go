package fleet

import corev1 "k8s.io/api/core/v1"

// DecodeNodeList is nodeDecoder.decodeNodeList for the benchmarks of package fleet_test.
func DecodeNodeList(body []byte, fn func(*corev1.Node)) (string, error) {
	var d nodeDecoder
	return d.decodeNodeList(body, fn)
}
