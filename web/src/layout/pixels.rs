//! Square dots as the pixels of one RGBA image, for a canvas that would
//! otherwise draw thousands of tiny squares one call at a time.
//!
//! Chromium without a GPU rasterises a canvas's recorded drawing when the
//! frame is handed to the compositor, and ten thousand `fillRect`s cost it
//! about 3 ms a frame (measured: gossip at 10,000 nodes). Pixels set here and
//! put in one `putImageData` are copied, not rasterised. Edges are
//! antialiased by coverage, as the canvas does for an axis-aligned rectangle,
//! so the picture is the one the calls drew.

/// An opaque colour from CSS hex notation (`#rgb` or `#rrggbb`, as the
/// site's stylesheet writes its palette), or `None` for anything else.
pub fn hex_colour(text: &str) -> Option<[u8; 4]> {
    let digits = text.trim().strip_prefix('#')?;
    let mut values = [0u8; 6];
    let mut count = 0;
    for c in digits.chars() {
        *values.get_mut(count)? = c.to_digit(16)? as u8;
        count += 1;
    }
    let channel = |i: usize| match count {
        3 => values[i] * 17,
        _ => values[2 * i] * 16 + values[2 * i + 1],
    };
    matches!(count, 3 | 6).then(|| [channel(0), channel(1), channel(2), 255])
}

/// An image `side` pixels square, transparent but for the squares: each is
/// (`x`, `y`, `half`, colour), its centre and half its side in view units,
/// `scale` pixels each. A pixel a square covers in part takes that part of
/// its colour over what is already there, as an antialiased `fillRect`
/// would; later squares go over earlier ones, and what falls outside the
/// image is left out.
pub fn squares(side: usize, scale: f64, squares: &[(f64, f64, f64, [u8; 4])]) -> Vec<u8> {
    let mut pixels = vec![0; side * side * 4];
    let extent = side as f64;
    for &(x, y, half, colour) in squares {
        let (left, right) = (
            ((x - half) * scale).max(0.0),
            ((x + half) * scale).min(extent),
        );
        let (top, bottom) = (
            ((y - half) * scale).max(0.0),
            ((y + half) * scale).min(extent),
        );
        if left >= right || top >= bottom {
            continue;
        }
        for row in top.floor() as usize..bottom.ceil() as usize {
            let row_at = row as f64;
            let tall = bottom.min(row_at + 1.0) - top.max(row_at);
            for column in left.floor() as usize..right.ceil() as usize {
                let column_at = column as f64;
                let wide = right.min(column_at + 1.0) - left.max(column_at);
                let at = (row * side + column) * 4;
                blend(&mut pixels[at..at + 4], colour, wide * tall);
            }
        }
    }
    pixels
}

/// `colour` at `coverage` (0 to 1) over the straight-alpha pixel `below`.
fn blend(below: &mut [u8], colour: [u8; 4], coverage: f64) {
    let alpha = coverage * f64::from(colour[3]) / 255.0;
    // Most pixels are inside one square, or at the edge of the first.
    if alpha >= 1.0 || below[3] == 0 {
        let [red, green, blue, _] = colour;
        below[0] = red;
        below[1] = green;
        below[2] = blue;
        below[3] = (alpha.min(1.0) * 255.0).round() as u8;
        return;
    }
    let under = f64::from(below[3]) / 255.0 * (1.0 - alpha);
    let total = alpha + under;
    if total <= 0.0 {
        return;
    }
    for channel in 0..3 {
        let mixed =
            (f64::from(colour[channel]) * alpha + f64::from(below[channel]) * under) / total;
        below[channel] = mixed.round() as u8;
    }
    below[3] = (total * 255.0).round() as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_read_in_both_lengths_and_nothing_else() {
        assert_eq!(hex_colour("#6c8f7d"), Some([0x6c, 0x8f, 0x7d, 255]));
        assert_eq!(hex_colour(" #fa0 "), Some([0xff, 0xaa, 0x00, 255]));
        assert_eq!(hex_colour("#12345"), None);
        assert_eq!(hex_colour("rgb(1, 2, 3)"), None);
        assert_eq!(hex_colour("#gg0000"), None);
        assert_eq!(hex_colour("#é1"), None);
        assert_eq!(hex_colour("#1234567"), None);
        assert_eq!(hex_colour("#"), None);
    }

    #[test]
    fn squares_cover_their_pixels_the_last_on_top_and_stay_inside() {
        let red = [255, 0, 0, 255];
        let blue = [0, 0, 255, 255];
        // At two pixels a unit: a square of half 1 at (2, 2) covers pixels
        // 2..6 both ways; the blue one at (3, 3) covers 4..8 over it.
        let image = squares(8, 2.0, &[(2.0, 2.0, 1.0, red), (3.0, 3.0, 1.0, blue)]);
        let at = |x: usize, y: usize| &image[(y * 8 + x) * 4..(y * 8 + x) * 4 + 4];
        assert_eq!(at(2, 2), red);
        assert_eq!(at(5, 3), red);
        assert_eq!(at(4, 4), blue);
        assert_eq!(at(7, 7), blue);
        assert_eq!(at(1, 1), [0; 4]);
        assert_eq!(at(6, 2), [0; 4]);
        let painted = image.chunks_exact(4).filter(|p| p[3] == 255).count();
        assert_eq!(painted, 16 + 16 - 4);
        // A square over the edge keeps its inside part and nothing wraps.
        let edge = squares(4, 1.0, &[(0.0, 0.0, 1.0, red)]);
        let painted: Vec<usize> = (0..16).filter(|i| edge[i * 4 + 3] > 0).collect();
        assert_eq!(painted, vec![0]);
    }

    #[test]
    fn a_pixel_covered_in_part_takes_that_part_of_the_colour() {
        let red = [255, 0, 0, 255];
        let blue = [0, 0, 255, 255];
        // Half of pixel (1, 0) is under the square from 0.5 to 1.5.
        let image = squares(3, 1.0, &[(1.0, 0.5, 0.5, red)]);
        assert_eq!(&image[0..4], [255, 0, 0, 128]);
        assert_eq!(&image[4..8], [255, 0, 0, 128]);
        assert_eq!(&image[8..12], [0; 4]);
        // Blue over a quarter of an opaque red pixel mixes the two in that
        // proportion, still opaque.
        let image = squares(1, 1.0, &[(0.5, 0.5, 0.5, red), (0.75, 0.5, 0.25, blue)]);
        assert_eq!(&image[0..4], [191, 0, 64, 255]);
    }
}
