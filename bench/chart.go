package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	ink   = color.RGBA{30, 30, 30, 255}
	grey  = color.RGBA{150, 150, 150, 255}
	// One colour per server, Bulwark first.
	palette = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}}
)

// chartRows are the figures drawn, one panel each.
func chartRows(sz sizes) []row {
	var out []row
	for _, r := range rows(sz) {
		switch r.key {
		case mFTPSDown, mFTPSUp, mClearDown, mClearUp, mParallel, mLogins, mPSSMax, mListS, mMLSDS:
			out = append(out, r)
		}
	}
	return out
}

// writeChart draws one horizontal bar panel per figure, servers in the
// same colours in every panel.
func writeChart(res *results, file string) error {
	const (
		cols, panelW, panelH, margin = 3, 420, 170, 20
		barH, labelW                 = 22, 80
	)
	rs := chartRows(res.Sizes)
	rowsN := (len(rs) + cols - 1) / cols
	w, h := cols*panelW+margin, rowsN*panelH+60
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	title := "Bulwark vs vsftpd, ProFTPD, Pure-FTPd (" + sizeName(res.Sizes.BigFile) + " file; " + res.Date + ")"
	text(img, margin, 25, title, ink)
	for i, r := range rs {
		x0 := margin + (i%cols)*panelW
		y0 := 45 + (i/cols)*panelH
		text(img, x0, y0+12, r.label, ink)
		better := "higher is better"
		if !r.better {
			better = "lower is better"
		}
		text(img, x0, y0+26, better, grey)
		var max float64
		for _, s := range res.Servers {
			max = maxf(max, s.Metrics[r.key])
		}
		barMax := panelW - labelW - 170
		for j, s := range res.Servers {
			y := y0 + 36 + j*(barH+6)
			text(img, x0, y+15, s.Name, ink)
			v, ok := s.Metrics[r.key]
			if !ok {
				status := "failed"
				if s.Missing != "" {
					status = "missing"
				} else if s.unsupported(r.key) {
					status = "not supported"
				}
				text(img, x0+labelW, y+15, status, grey)
				continue
			}
			bw := 1
			if max > 0 {
				bw = max1(int(v / max * float64(barMax)))
			}
			fill(img, image.Rect(x0+labelW, y, x0+labelW+bw, y+barH), palette[j%len(palette)])
			label := fmt.Sprintf(r.format, v)
			if s.incomplete(r.key) {
				label += " (some failed)"
			}
			text(img, x0+labelW+bw+5, y+15, label, ink)
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
