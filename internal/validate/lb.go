package validate

// lb checks the [lb] settings no other rule covers: the body limit, where 0
// means no limit.
func lb(c *check) {
	if v := c.s.LB.MaxBodySize; v != "" && v != "0" {
		checkSize(c, "lb.client_max_body_size", v)
	}
}
