//! Setup fields a person can use while the run plays (every page plays on load).
//!
//! - [`NumberField`]: what the person types is theirs until they commit it with
//!   Enter or by leaving the field; re-renders from the running lab never
//!   overwrite it. Text that is not a whole number in range is refused with a
//!   message beside the field, never silently ignored.
//! - [`SelectField`]: the `<select>` always shows the value it is given, also
//!   after the person picked another option and the scenario changed under it
//!   (a browser keeps a picked option even when `selected` attributes change).

use web_sys::{HtmlInputElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

/// Why `text` is not an acceptable whole number in `min..=max`, or the number.
pub fn parse_whole(text: &str, min: i64, max: i64) -> Result<i64, String> {
    let trimmed = text.trim();
    let value: i64 = trimmed.parse().map_err(|_| {
        format!(
            "'{}' is not a whole number",
            trimmed.chars().take(24).collect::<String>()
        )
    })?;
    if value < min || value > max {
        return Err(format!("{value} is outside {min} to {max}"));
    }
    Ok(value)
}

/// The operand a person typed for an operation button, checked when the button is
/// pressed: the number, or `None` with `error` set to why not (shown beside the
/// field by [`operand_error`]).
pub fn operand(
    text: &str,
    min: i64,
    max: i64,
    error: &UseStateHandle<Option<String>>,
) -> Option<i64> {
    match parse_whole(text, min, max) {
        Ok(value) => {
            error.set(None);
            Some(value)
        }
        Err(message) => {
            error.set(Some(message));
            None
        }
    }
}

/// The message [`operand`] left, beside the field `id` it is about.
pub fn operand_error(id: &str, error: &Option<String>) -> Html {
    match error {
        Some(message) => {
            html! { <span class="error" id={format!("{id}-error")} role="alert">{ message }</span> }
        }
        None => html! {},
    }
}

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub id: AttrValue,
    /// The field's accessible name (shown by the surrounding label).
    pub label: AttrValue,
    pub value: i64,
    pub min: i64,
    pub max: i64,
    #[prop_or(1)]
    pub step: i64,
    /// Called with the committed value, once it parses and is in range.
    pub on_commit: Callback<i64>,
}

/// A number input that keeps what the person types until they commit it.
#[function_component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    let draft = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    let commit = {
        let (draft, error) = (draft.clone(), error.clone());
        let (min, max, on_commit) = (props.min, props.max, props.on_commit.clone());
        Callback::from(move |text: String| {
            match parse_whole(&text, min, max) {
                Ok(value) => {
                    error.set(None);
                    on_commit.emit(value);
                }
                Err(message) => error.set(Some(message)),
            }
            draft.set(None);
        })
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            draft.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    let onchange = {
        let commit = commit.clone();
        Callback::from(move |e: Event| {
            commit.emit(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onkeydown = {
        let (draft, error) = (draft.clone(), error.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => commit.emit(e.target_unchecked_into::<HtmlInputElement>().value()),
            "Escape" => {
                draft.set(None);
                error.set(None);
            }
            _ => {}
        })
    };
    let shown = (*draft).clone().unwrap_or_else(|| props.value.to_string());
    let error_id = format!("{}-error", props.id);
    html! {
        <>
            <input id={props.id.clone()} type="text" inputmode="numeric" aria-label={props.label.clone()}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby={error.is_some().then(|| error_id.clone())}
                size={((props.max.max(props.min.abs()).to_string().len() + 1).max(4)).to_string()}
                value={shown} {oninput} {onchange} {onkeydown} />
            if let Some(message) = &*error {
                <span class="error field-error" id={error_id} role="alert">{ message }</span>
            }
        </>
    }
}

/// One option of a [`SelectField`]: its value, label and tooltip.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub value: AttrValue,
    pub label: AttrValue,
    pub title: Option<AttrValue>,
}

impl Choice {
    pub fn new(value: impl Into<AttrValue>, label: impl Into<AttrValue>) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            title: None,
        }
    }

    pub fn titled(mut self, title: impl Into<AttrValue>) -> Self {
        self.title = Some(title.into());
        self
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub choices: Vec<Choice>,
    pub on_change: Callback<String>,
}

/// A `<select>` that shows `value` after every render.
#[function_component]
pub fn SelectField(props: &SelectFieldProps) -> Html {
    let select = use_node_ref();
    {
        let select = select.clone();
        use_effect_with(props.value.clone(), move |value| {
            if let Some(select) = select.cast::<HtmlSelectElement>() {
                if select.value() != value.as_str() {
                    select.set_value(value);
                }
            }
        });
    }
    let onchange = props
        .on_change
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    let options = props.choices.iter().map(|choice| {
        html! {
            <option key={choice.value.as_str()} value={choice.value.clone()}
                selected={choice.value == props.value} title={choice.title.clone()}>{ &choice.label }</option>
        }
    });
    html! {
        <select id={props.id.clone()} aria-label={props.label.clone()} ref={select} {onchange}>{ for options }</select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_parse_or_say_why_not() {
        assert_eq!(parse_whole(" 42 ", 0, 100), Ok(42));
        assert!(parse_whole("abc", 0, 100)
            .unwrap_err()
            .contains("not a whole number"));
        assert!(parse_whole("3.7", 0, 100)
            .unwrap_err()
            .contains("not a whole number"));
        assert_eq!(
            parse_whole("-5", 1, 9),
            Err("-5 is outside 1 to 9".to_string())
        );
    }
}
